"""The affirmation page draws the study's text from a cache (issue 17): per study version, its
authors and pillar, and language, in each web process. Nothing of the person is in it, and
nothing it shows is ever older than the study."""

import re

import sqlalchemy as sa
from flask_babel import force_locale

from models import Attachment, CaseStudy, User, Vote
from models.base import db
from models.enums import MARKDOWN_SECTIONS, Section, VoteChoice
from models.setting import set_setting
from review import drafts, library
from tests.conftest import PASSWORD
from tests.test_affirmation import client_of, open_affirmation


def _people(make_user, pillar) -> dict:
    return {
        "author": make_user("member"),
        "coauthor": make_user("partner"),
        "cochair": make_user("member", cochair_of=pillar),
        "member": make_user("member"),
        "other_member": make_user("member"),
        "staff": make_user("staff"),
    }


def _reading(client, study_id: int) -> tuple[str, list[str]]:
    """Return the page's study text (the <article>) and the tables its request read."""
    seen: list[str] = []

    def count(conn, cursor, statement, *args):
        seen.append(statement)

    sa.event.listen(db.engine, "before_cursor_execute", count)
    try:
        response = client.get(f"/affirmation/{study_id}")
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", count)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    article = re.search(r'<article class="study-reader">.*?</article>', page, re.S)[0]
    return article, seen


def _reads(seen: list[str], table: str) -> bool:
    return any(re.search(rf"\bFROM {table}\b", s) for s in seen)


def _saved_values(study: CaseStudy, **changes) -> dict:
    """Return the editor's values for the study as saved, with `changes` applied."""
    values = {
        "title": study.title,
        "pillar_id": study.pillar_id,
        "kind": study.kind,
        "place": study.place,
        "state_code": study.state_code,
        "government_type": study.government_type,
        "population_band": study.population_band,
        "year_start": study.year_start,
        "year_end": study.year_end,
        "summary": study.summary,
        "timeline": [(e.year, e.month, e.day, e.description) for e in study.timeline],
    }
    for section in MARKDOWN_SECTIONS:
        values[f"{section.value}_md"] = getattr(study, f"{section.value}_md")
    values.update(changes)
    return values


def test_a_correction_a_new_rounds_edit_and_a_renamed_author_are_shown_by_every_process(
    app, app_factory, make_user, pillar
):
    people = _people(make_user, pillar)
    study, _window = open_affirmation(people, pillar)
    study_id = study.id
    # Two web processes on one database, each with its own cache (app.extensions).
    here = client_of(app, people["staff"])
    other_app = app_factory()
    there = client_of(other_app, people["staff"])

    first, seen = _reading(here, study_id)
    assert "right to counsel" in first and _reads(seen, "timeline_event")
    again, seen = _reading(here, study_id)
    # Served from the cache: the same text, without reading the study's lists again.
    assert again == first
    assert not _reads(seen, "timeline_event") and not _reads(seen, "stakeholder")
    with other_app.app_context():
        assert "right to counsel" in _reading(there, study_id)[0]

    # A correction (staff's, in this process) changes the text both processes show.
    study = db.session.get(CaseStudy, study_id)
    library.correct(
        study,
        {
            "title": study.title,
            "summary": study.summary,
            **{f"{s.value}_md": getattr(study, f"{s.value}_md") for s in MARKDOWN_SECTIONS},
            "overview_md": "We won **counsel for every tenant**, corrected.",
        },
        people["staff"],
        "wording",
        study.version,
    )
    db.session.commit()
    for client, where in ((here, app), (there, other_app)):
        with where.app_context():
            text, _seen = _reading(client, study_id)
        assert "counsel for every tenant</strong>, corrected" in text
        assert "right to counsel" not in text

    # A new round's edit that changes only a list row (the timeline) is shown too.
    study = db.session.get(CaseStudy, study_id)
    drafts.save_draft(
        study,
        _saved_values(study, timeline=[(2021, 3, None, "Tenant union forms, renamed")]),
        study.version,
    )
    db.session.commit()
    for client, where in ((here, app), (there, other_app)):
        with where.app_context():
            text, _seen = _reading(client, study_id)
        assert "Tenant union forms, renamed" in text and "Council passes bill" not in text

    # An author renamed (their profile, not the study) is shown under the new name.
    author = db.session.get(User, people["author"].id)
    author.name = "Renamed Author"
    db.session.commit()
    for client, where in ((here, app), (there, other_app)):
        with where.app_context():
            assert "Renamed Author" in _reading(client, study_id)[0]


def test_a_language_switch_draws_the_text_in_the_new_language(app, make_user, pillar):
    people = _people(make_user, pillar)
    study, _window = open_affirmation(people, pillar)
    client = client_of(app, people["staff"])
    english, _seen = _reading(client, study.id)
    client.post("/language", data={"locale": "es", "next": "/"})
    spanish, _seen = _reading(client, study.id)
    with force_locale("es"):
        timeline_es = str(Section.timeline.label)
    with force_locale("en"):
        timeline_en = str(Section.timeline.label)
    assert timeline_es != timeline_en
    assert f"<h2>{timeline_en}</h2>" in english and f"<h2>{timeline_es}</h2>" in spanish


def _signed_in_with_csrf(app, user):
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = f"10.6.{user.id // 250}.{user.id % 250 + 1}"
    token = _token(client.get("/auth/login").get_data(as_text=True))
    response = client.post(
        "/auth/login", data={"email": user.email, "password": PASSWORD, "csrf_token": token}
    )
    assert response.status_code == 302
    return client


def _token(page: str) -> str:
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page)[1]


def test_two_people_on_the_cached_page_see_their_own_vote_and_token(
    app, app_factory, make_user, pillar
):
    # Requests of their own app, each in an app context of its own as in production (the
    # test's pushed one would keep the first person's CSRF token on `g` for everyone).
    strict = app_factory(WTF_CSRF_ENABLED=True)
    people = _people(make_user, pillar)
    study, _window = open_affirmation(people, pillar)
    voter = _signed_in_with_csrf(strict, people["member"])
    other = _signed_in_with_csrf(strict, people["other_member"])
    staff = _signed_in_with_csrf(strict, people["staff"])
    page = voter.get(f"/affirmation/{study.id}").get_data(as_text=True)
    voted = voter.post(
        f"/affirmation/{study.id}/vote",
        data={"choice": "affirm", "reason": "", "csrf_token": _token(page)},
    )
    assert voted.status_code == 302

    staff_page = staff.get(f"/affirmation/{study.id}").get_data(as_text=True)
    voter_page = voter.get(f"/affirmation/{study.id}").get_data(as_text=True)
    other_response = other.get(f"/affirmation/{study.id}")
    assert other_response.status_code == 200
    other_page = other_response.get_data(as_text=True)
    article = re.compile(r'<article class="study-reader">.*?</article>', re.S)
    assert article.search(voter_page)[0] == article.search(other_page)[0]
    assert "You voted" in voter_page and "You have not voted yet." not in voter_page
    assert "You have not voted yet." in other_page and "You voted" not in other_page
    assert "1</strong> affirm" in staff_page and 'id="tally"' not in other_page
    # Each page carries its own person's token: the other's is refused, one's own is not.
    mine, theirs = _token(other_page), _token(voter_page)
    assert mine != theirs
    vote = {"choice": "object", "reason": "Not yet."}
    other.post(f"/affirmation/{study.id}/vote", data={**vote, "csrf_token": theirs})
    assert _choice_of(people["other_member"]) is None
    other.post(f"/affirmation/{study.id}/vote", data={**vote, "csrf_token": mine})
    assert _choice_of(people["other_member"]) == VoteChoice.object
    assert _choice_of(people["member"]) == VoteChoice.affirm


def _choice_of(user):
    db.session.expire_all()
    return db.session.scalar(sa.select(Vote.choice).where(Vote.user_id == user.id))


def test_a_file_added_or_removed_is_shown_by_every_process(app, app_factory, make_user, pillar):
    # A file is added beside the study, not through it: no version moves, the files do.
    people = _people(make_user, pillar)
    study, _window = open_affirmation(people, pillar)
    study_id, version = study.id, study.version
    here = client_of(app, people["staff"])
    other_app = app_factory()
    there = client_of(other_app, people["staff"])
    for client, where in ((here, app), (there, other_app)):
        with where.app_context():
            assert "council-minutes.pdf" not in _reading(client, study_id)[0]

    attachment = Attachment(
        study_id=study_id,
        filename="council-minutes.pdf",
        content_type="application/pdf",
        size=2048,
        sha256="0" * 64,
        storage_key="cache-test-key",
        uploaded_by_id=people["author"].id,
    )
    db.session.add(attachment)
    db.session.commit()
    assert db.session.get(CaseStudy, study_id).version == version
    for client, where in ((here, app), (there, other_app)):
        with where.app_context():
            text, _seen = _reading(client, study_id)
        assert "council-minutes.pdf" in text and "No links or files." not in text

    db.session.delete(db.session.get(Attachment, attachment.id))
    db.session.commit()
    for client, where in ((here, app), (there, other_app)):
        with where.app_context():
            text, _seen = _reading(client, study_id)
        assert "council-minutes.pdf" not in text and "No links or files." in text


def test_a_vote_and_a_new_rule_move_the_status_in_every_process(
    app, app_factory, make_user, pillar
):
    # The tally, the eligible count and the rule are read in one statement at every request.
    people = _people(make_user, pillar)
    study, window = open_affirmation(people, pillar)
    here = client_of(app, people["staff"])
    other_app = app_factory()
    there = client_of(other_app, people["staff"])

    def status(client, where) -> str:
        with where.app_context():
            page = client.get(f"/affirmation/{study.id}").get_data(as_text=True)
        section = re.search(r'<section class="affirmation-status".*?</section>', page, re.S)[0]
        return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", section))

    before = {status(c, w) for c, w in ((here, app), (there, other_app))}
    assert len(before) == 1 and "0 affirm · 0 object" in before.pop()
    voter = client_of(app, people["member"])
    voted = voter.post(f"/affirmation/{study.id}/vote", data={"choice": "affirm", "reason": ""})
    assert voted.status_code == 302
    set_setting("affirmation_min_votes", 7)
    db.session.commit()
    for client, where in ((here, app), (there, other_app)):
        text = status(client, where)
        assert "1 affirm · 0 object" in text
        assert "at least 7 affirm votes" in text and "live count, 1 of" in text
