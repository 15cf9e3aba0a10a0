"""The pages the network's own people wait on, at 10^3, 10^4 and 10^5 studies (issue 17).

One database per engine grows through the sizes (bench/world.py). At each size, the growth
figures: statements and times of the co-chair queue, the staff dashboard and staff studies,
/studies/ and /affirmation/. At the largest size, every figure against its baseline, the two
interleaved request by request (bench/harness.py):

- sweep with nothing due                   ≤ 3× a primary-key lookup
- co-chair queue                           ≤ 6× a bare query over the same rows, ≤ 4 statements
- affirmation page with 3,000 votes        ≤ 3× a primary-key lookup
- 10 KB save (autosave)                    ≤ 1.3× rendering its Markdown + nh3, ≤ 6 statements
- sign-in                                  ≤ 1.2× the argon2 verify
- staff dashboard, staff studies           ≤ 50 ms p95
- medium-frequency search                  ≤ 10× a primary-key lookup

Every endpoint is requested through the real WSGI app in process (`app.test_client()`, no
network), baselines included, so both sides pay the same request overhead.

    python -m bench pages [--sizes 1000,10000,100000] [--engines postgresql,sqlite] [--requests 60]
"""

import argparse
import time

import sqlalchemy as sa
from flask import jsonify, request
from flask_migrate import upgrade
from werkzeug.datastructures import MultiDict

from bench import harness
from bench.world import MEDIUM, PASSWORD, SAVED_STUDY, VOTED_STUDY, World
from forms.studies import StudyEditForm, initial_data
from models import CaseStudy, Round, User
from models.base import db
from models.enums import StudyState
from review.app import create_app
from review.infra.markdown import render
from review.infra.passwords import verify_password
from workers.sweep import sweep

OPEN = (StudyState.submitted, StudyState.in_review)
DECIDED_PAGE = 30
SAVE_KB = 10


def _app(url: str):
    app = create_app(harness.bench_config(url))

    @app.get("/bench/pk/<int:study_id>")
    def pk(study_id: int):
        """A primary-key lookup: the floor of any database-backed endpoint."""
        study = db.session.get(CaseStudy, study_id)
        return jsonify({"id": study.id, "title": study.title})

    @app.get("/bench/queue-rows/<int:pillar_id>")
    def queue_rows(pillar_id: int):
        """The co-chair queue's rows and nothing else: open studies with their round, and the
        newest page of decided ones."""
        open_rows = db.session.execute(
            sa.select(CaseStudy.id, CaseStudy.title, CaseStudy.state, Round.number, Round.due_at)
            .join(
                Round,
                sa.and_(Round.study_id == CaseStudy.id, Round.number == CaseStudy.current_round),
            )
            .where(CaseStudy.pillar_id == pillar_id, CaseStudy.state.in_(OPEN))
            .order_by(Round.due_at)
        ).all()
        decided = db.session.execute(
            sa.select(CaseStudy.id, CaseStudy.title, CaseStudy.state, CaseStudy.state_changed_at)
            .where(
                CaseStudy.pillar_id == pillar_id,
                CaseStudy.current_round > 0,
                CaseStudy.state.not_in(OPEN),
            )
            .order_by(CaseStudy.state_changed_at.desc(), CaseStudy.id.desc())
            .limit(DECIDED_PAGE)
        ).all()
        return jsonify([list(map(str, r)) for r in open_rows + decided])

    @app.post("/bench/render")
    def render_only():
        """What a save must pay whatever else it does: render the changed section."""
        return jsonify({"html": len(render(request.form.get("overview_md", "")))})

    @app.post("/bench/verify")
    def verify_only():
        """What a sign-in must pay whatever else it does: the argon2 verify of the hash."""
        stored = app.config["BENCH_HASH"]
        return jsonify({"ok": verify_password(stored, request.form.get("password", ""))})

    @app.get("/bench/sweep")
    def run_sweep():
        """The periodic sweep, run once."""
        return jsonify({k: str(v) for k, v in sweep().items()})

    return app


def _engine(app) -> sa.Engine:
    with app.app_context():
        return db.engine


def _signed_in(app, email: str):
    client = app.test_client()
    response = client.post("/auth/login", data={"email": email, "password": PASSWORD})
    assert response.status_code == 302, f"sign-in failed for {email}"
    return client


def _form_items(form) -> list[tuple[str, str]]:
    """Flatten a WTForms form into the (name, value) pairs a browser would post."""
    items = []
    for field in form:
        if field.type in ("FieldList", "FormField"):
            items += _form_items(field)
        elif field.type in ("SubmitField", "CSRFTokenField"):
            continue
        elif field.type in ("SelectMultipleField", "CheckboxesField"):
            items += [(field.name, str(value)) for value in field.data or []]
        else:
            value = field._value() if hasattr(field, "_value") else field.data
            items.append((field.name, "" if value is None else str(value)))
    return items


def _save_form(app, study_id: int) -> MultiDict:
    """Return the editor's form of the study as posted, its overview 10 KB of Markdown."""
    with app.test_request_context():
        study = db.session.get(CaseStudy, study_id)
        form = StudyEditForm(formdata=None, data=initial_data(study))
        data = MultiDict(_form_items(form))
    paragraph = "Residents **organised** for [tenant rights](https://example.org) and won. "
    data["overview_md"] = "\n\n".join(
        paragraph * 4 for _ in range(SAVE_KB * 1024 // (len(paragraph) * 4 + 2) + 1)
    )
    for k, (date, text) in enumerate([("2019-03", "Coalition formed"), ("2020-01-15", "Vote")]):
        data[f"timeline-{k}-date"], data[f"timeline-{k}-description"] = date, text
    data.update(
        {
            "stakeholders-0-name": "Tenants Union",
            "stakeholders-0-type": "labor_union",
            "stakeholders-0-role": "Led the campaign",
            "stakeholders-0-stance": "ally",
        }
    )
    data["action"] = "save"
    return data


class Saver:
    """Post the autosave of a 10 KB section, a different text each time, at the current version."""

    def __init__(self, app, client, study_id: int):
        self.client, self.study_id = client, study_id
        self.data = _save_form(app, study_id)
        self.version = int(self.data.get("version") or 1)
        self.n = 0
        # The first save writes the rows posted beside the section (the world's draft has
        # none); every save after it changes the section only, as autosave does.
        self.save()

    def _body(self) -> MultiDict:
        self.n += 1
        data = self.data.copy()
        data["overview_md"] = data["overview_md"] + f"\n\nSaved {self.n} times."
        data["version"] = str(self.version)
        return data

    def save(self):
        response = self.client.post(
            f"/studies/{self.study_id}/edit",
            data=self._body(),
            headers={"Accept": "application/json"},
        )
        if response.status_code != 200:
            raise AssertionError(f"save: {response.status_code} {response.get_data(True)[:300]}")
        self.version = response.get_json()["version"]
        return response

    def render(self):
        response = self.client.post("/bench/render", data=self._body())
        assert response.status_code == 200
        return response


def _growth(app, world: World, clients: dict, requests: int, budget: float) -> dict:
    """Statements and times of the pages that grow with the data, at the current size."""
    pages = {
        "co-chair queue": (clients["cochair"], "/cochair/"),
        "staff dashboard": (clients["staff"], "/staff/"),
        "staff studies": (clients["staff"], "/staff/studies"),
        "/studies/ (24 studies)": (clients["author"], "/studies/"),
        "/affirmation/": (clients["member"], "/affirmation/"),
    }
    cases = {name: harness.checked(c, "get", url) for name, (c, url) in pages.items()}
    out = {"studies": world.studies, "statements": {}, "times": {}}
    for name, case in cases.items():
        out["statements"][name] = harness.statements(_engine(app), case)
    cases["pk lookup"] = harness.checked(clients["visitor"], "get", f"/bench/pk/{SAVED_STUDY}")
    out["times"] = harness.interleave(cases, requests, warmup=2, budget_seconds=budget)
    return out


def _figures(app, world: World, clients: dict, requests: int, budget: float) -> dict:
    """Every figure of issue 17 against its baseline, at the current size."""
    pillar = world.pillar_ids[0]
    visitor, staff = clients["visitor"], clients["staff"]
    pk = harness.checked(visitor, "get", f"/bench/pk/{SAVED_STUDY}")
    saver = Saver(app, clients["author"], SAVED_STUDY)
    with app.app_context():
        app.config["BENCH_HASH"] = db.session.scalar(
            sa.select(User.password_hash).where(User.email == "author@bench.example")
        )

    def sign_in():
        client = app.test_client()
        response = client.post(
            "/auth/login", data={"email": "author@bench.example", "password": PASSWORD}
        )
        assert response.status_code == 302, response.status_code
        return response

    verify = harness.checked(visitor, "post", "/bench/verify", data={"password": PASSWORD})
    groups = {
        "sweep": {
            "sweep (nothing due)": harness.checked(visitor, "get", "/bench/sweep"),
            "pk lookup": pk,
        },
        "queue": {
            "co-chair queue": harness.checked(clients["cochair"], "get", "/cochair/"),
            "bare queue rows": harness.checked(visitor, "get", f"/bench/queue-rows/{pillar}"),
        },
        "affirmation": {
            "affirmation page (3,000 votes)": harness.checked(
                staff, "get", f"/affirmation/{VOTED_STUDY}"
            ),
            "pk lookup": pk,
        },
        "save": {"10 KB save": saver.save, "render 10 KB Markdown + nh3": saver.render},
        "sign-in": {"sign-in": sign_in, "argon2 verify": verify},
        "staff": {
            "staff dashboard": harness.checked(staff, "get", "/staff/"),
            "staff studies": harness.checked(staff, "get", "/staff/studies"),
            "pk lookup": pk,
        },
        "search": {
            "medium search": harness.checked(visitor, "get", f"/library?q={MEDIUM[42]}"),
            "pk lookup": pk,
        },
    }
    out = {"statements": {}, "times": {}}
    for group in groups.values():
        for name, case in group.items():
            if name not in out["statements"]:
                out["statements"][name] = harness.statements(_engine(app), case)
    for key, group in groups.items():
        out["times"][key] = harness.interleave(group, requests, budget_seconds=budget)
    return out


def run(engine: str, sizes: list[int], requests: int, budget: float) -> dict:
    result = {"engine": engine, "growth": [], "build_seconds": {}}
    with harness.database(engine) as url:
        app = _app(url)
        world = World()
        with app.app_context():
            upgrade()
        for size in sizes:
            with app.app_context():
                t0 = time.perf_counter()
                world.grow(size)
                result["build_seconds"][size] = round(time.perf_counter() - t0, 1)
                db.session.remove()
            clients = {
                "visitor": app.test_client(),
                "staff": _signed_in(app, "staff1@bench.example"),
                "cochair": _signed_in(app, f"cochair{world.pillar_ids[0]}-1@bench.example"),
                "author": _signed_in(app, "author@bench.example"),
                "member": _signed_in(app, "member2@bench.example"),
            }
            result["growth"].append(_growth(app, world, clients, max(10, requests // 2), budget))
            if size == sizes[-1]:
                result["figures"] = _figures(app, world, clients, requests, budget)
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
    return result


GOALS = {
    "sweep": [("sweep (nothing due)", "pk lookup", 3.0, "lookup")],
    "queue": [("co-chair queue", "bare queue rows", 6.0, "bare rows")],
    "affirmation": [("affirmation page (3,000 votes)", "pk lookup", 3.0, "lookup")],
    "save": [("10 KB save", "render 10 KB Markdown + nh3", 1.3, "render")],
    "sign-in": [("sign-in", "argon2 verify", 1.2, "verify")],
    "search": [("medium search", "pk lookup", 10.0, "lookup")],
}
STATEMENT_GOALS = {"co-chair queue": 4, "10 KB save": 6}


def growth_verdict(growth: list[dict]) -> str:
    """Say whether each page's statement count stayed the same at every size (the goal)."""
    sizes = ", ".join(f"{g['studies']:,}" for g in growth)
    grew = []
    for name in growth[0]["statements"]:
        counts = [g["statements"][name] for g in growth]
        if len(set(counts)) > 1:
            grew.append(f"{name} {' → '.join(map(str, counts))}")
    if not grew:
        return f" statements equal at {sizes} studies for every page (goal met)"
    return f" statements GREW between {sizes} studies: " + "; ".join(grew) + " (goal NOT met)"


def report(r: dict) -> str:
    lines = [f"== {r['engine']}"]
    for g in r["growth"]:
        built = r["build_seconds"][g["studies"]]
        lines.append(f" growth at {g['studies']:,} studies (grown in {built} s)")
        for name, stats in g["times"].items():
            count = g["statements"].get(name)
            suffix = f"  {count} statements" if count is not None else ""
            lines.append(harness.baseline_line(name, stats) + suffix)
    if len(r["growth"]) > 1:
        lines.append(growth_verdict(r["growth"]))
    f = r.get("figures")
    if f:
        lines.append(f" figures at {r['growth'][-1]['studies']:,} studies")
        for key, group in f["times"].items():
            for name, base, goal, of in GOALS.get(key, []):
                lines.append(harness.baseline_line(base, group[base]))
                lines.append(harness.ratio_line(name, group[name], group[base], goal, of))
            if key == "staff":
                lines.append(harness.baseline_line("pk lookup", group["pk lookup"]))
                for name in ("staff dashboard", "staff studies"):
                    lines.append(harness.absolute_line(name, group[name], 50))
        lines.append(" statements per request")
        for name, count in f["statements"].items():
            goal = STATEMENT_GOALS.get(name)
            verdict = ""
            if goal is not None:
                verdict = f"  (goal ≤ {goal}: {'met' if count <= goal else 'NOT met'})"
            lines.append(f"  {name:<34} {count:4d}{verdict}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> list[dict]:
    parser = argparse.ArgumentParser(prog="python -m bench pages")
    parser.add_argument("--sizes", default="1000,10000,100000")
    parser.add_argument("--engines", default="postgresql,sqlite")
    parser.add_argument("--requests", type=int, default=60)
    parser.add_argument(
        "--budget",
        type=float,
        default=45.0,
        help="seconds a figure may take before it stops at fewer requests",
    )
    args = parser.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",") if s]
    print(harness.load_line(), flush=True)
    results = []
    for engine in [e for e in args.engines.split(",") if e]:
        results.append(run(engine, sizes, args.requests, args.budget))
        print(report(results[-1]), flush=True)
    print("at the end: " + harness.load_line(), flush=True)
    return results


if __name__ == "__main__":
    main()
