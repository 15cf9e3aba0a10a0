"""Case-study authoring: drafts, every field, rows, completeness, co-authors, nothing lost."""

import io
import re
from html.parser import HTMLParser

import pytest
import sqlalchemy as sa
from sqlalchemy.orm.exc import StaleDataError

from models import AuditEvent, CaseStudy, Pillar, StudyAuthor
from models.base import db
from models.enums import MARKDOWN_SECTIONS, Section, StudyState
from review import drafts
from tests.factories import POLITICAL, complete_study

XSS = [
    "<script>window.__xss=1</script>",
    '<img src=x onerror="window.__xss=1">',
    "[click](javascript:window.__xss=1)",
    "[click](JaVaScRiPt:window.__xss=1)",
    "[click](javascript&#58;window.__xss=1)",
    "[click](&#106;avascript:window.__xss=1)",
    "[x](data:text/html;base64,PHNjcmlwdD53aW5kb3cuX194c3M9MTwvc2NyaXB0Pg==)",
    "![x](data:image/svg+xml,<svg onload=window.__xss=1>)",
    "<svg><script>window.__xss=1</script></svg>",
    '<svg onload="window.__xss=1"></svg>',
    '<a href="javascript:window.__xss=1">x</a>',
    "%3Cscript%3Ewindow.__xss=1%3C/script%3E",
    "&lt;script&gt;window.__xss=1&lt;/script&gt;",
    '<iframe src="javascript:window.__xss=1"></iframe>',
    "<details open ontoggle=window.__xss=1>",
    "[x](vbscript:msgbox(1))",
    '<a href="#" onclick="window.__xss=1">x</a>',
    "<body onload=window.__xss=1>",
    "`<script>` in code is text",
]
XSS_TEXT = "\n\n".join(XSS)


def edit_data(study, **overrides) -> dict:
    """Return a full editor POST for the study as it is, with `overrides` applied."""
    data = {
        "version": str(study.version),
        "title": study.title,
        "pillar_id": str(study.pillar_id),
        "kind": study.kind.value if study.kind else "",
        "place": study.place,
        "state_code": study.state_code,
        "government_type": study.government_type.value if study.government_type else "",
        "population_band": study.population_band.value if study.population_band else "",
        "year_start": str(study.year_start or ""),
        "year_end": str(study.year_end or ""),
        "topics": ", ".join(t.name for t in study.topics),
        "summary": study.summary,
    }
    for s in MARKDOWN_SECTIONS:
        data[f"{s.value}_md"] = getattr(study, f"{s.value}_md")
    for i, e in enumerate(study.timeline):
        data[f"timeline-{i}-date"] = e.date_text
        data[f"timeline-{i}-description"] = e.description
    for i, s in enumerate(study.stakeholders):
        data[f"stakeholders-{i}-name"] = s.name
        data[f"stakeholders-{i}-type"] = s.type.value
        data[f"stakeholders-{i}-role"] = s.role
        data[f"stakeholders-{i}-stance"] = s.stance.value
    for i, link in enumerate(study.links):
        data[f"links-{i}-label"] = link.label
        data[f"links-{i}-url"] = link.url
    data.update(overrides)
    return data


class _Tags(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, attrs))


def parse_tags(html: str) -> list[tuple[str, list]]:
    """Return every real tag of the HTML with its attributes (text that looks like a tag is
    not a tag)."""
    parser = _Tags()
    parser.feed(html)
    return parser.tags


def text(response) -> str:
    return response.get_data(as_text=True)


def test_create_save_reopen_and_edit_every_field(app, client, make_user, login_as):
    author = make_user()
    login_as(author)
    pillars = db.session.scalars(sa.select(Pillar).order_by(Pillar.position)).all()
    response = client.post(
        "/studies/new", data={"title": "  Budget votes ", "pillar_id": pillars[0].id}
    )
    assert response.status_code == 302
    study = db.session.scalar(sa.select(CaseStudy))
    assert response.headers["Location"].endswith(f"/studies/{study.id}/edit")
    assert study.title == "Budget votes" and study.state == StudyState.draft
    assert [(a.user_id, a.is_submitter) for a in study.authors] == [(author.id, True)]

    data = {
        "version": str(study.version),
        "title": "Participatory budgeting",
        "pillar_id": str(pillars[4].id),
        "kind": "organizing_example",
        "place": "Durham",
        "state_code": "NC",
        "government_type": "county",
        "population_band": "250k_1m",
        "year_start": "2019",
        "year_end": "2022",
        "topics": "Budgets, youth voice , budgets,",
        "summary": "Residents decided how to spend $2.4M.",
        "overview_md": "**Residents** voted on projects.",
        "political_environment_md": POLITICAL,
        "collaborative_governance_md": "A steering committee of residents.",
        "equity_md": "Ballots in four languages.",
        "outcomes_md": "- 40 projects\n- 12,000 voters",
        "lessons_md": "Fund outreach.",
        "timeline-0-date": "2019-02",
        "timeline-0-description": "Council funds a pilot",
        "timeline-1-date": "2019-11-05",
        "timeline-1-description": "First vote",
        "timeline-2-date": "",
        "timeline-2-description": "",
        "timeline-3-date": "2022-06",
        "timeline-3-description": "Made permanent",
        "stakeholders-0-name": "Durham Congregations",
        "stakeholders-0-type": "community_organisation",
        "stakeholders-0-role": "Outreach",
        "stakeholders-0-stance": "ally",
        "stakeholders-1-name": "Chamber of Commerce",
        "stakeholders-1-type": "business",
        "stakeholders-1-role": "",
        "stakeholders-1-stance": "opposed",
        "links-0-label": "Results",
        "links-0-url": "https://example.org/pb",
        "links-1-label": "",
        "links-1-url": "",
    }
    response = client.post(f"/studies/{study.id}/edit", data=data)
    assert response.status_code == 302, text(response)
    db.session.expire_all()
    study = db.session.get(CaseStudy, study.id)
    assert study.title == "Participatory budgeting" and study.pillar_id == pillars[4].id
    assert (study.kind.value, study.place, study.state_code) == (
        "organizing_example",
        "Durham",
        "NC",
    )
    assert (study.government_type.value, study.population_band.value) == ("county", "250k_1m")
    assert (study.year_start, study.year_end) == (2019, 2022)
    assert [t.name for t in study.topics] == ["budgets", "youth voice"]
    assert study.overview_html.strip() == "<p><strong>Residents</strong> voted on projects.</p>"
    assert "<li>40 projects</li>" in study.outcomes_html
    assert [(e.year, e.month, e.day, e.description) for e in study.timeline] == [
        (2019, 2, None, "Council funds a pilot"),
        (2019, 11, 5, "First vote"),
        (2022, 6, None, "Made permanent"),
    ]
    assert [(s.name, s.type.value, s.role, s.stance.value) for s in study.stakeholders] == [
        ("Durham Congregations", "community_organisation", "Outreach", "ally"),
        ("Chamber of Commerce", "business", "", "opposed"),
    ]
    assert [(lk.label, lk.url) for lk in study.links] == [("Results", "https://example.org/pb")]
    assert drafts.missing_sections(study) == {}

    # Reopen: every value is back in the form, rows in order, plus blank rows to add more.
    page = text(client.get(f"/studies/{study.id}/edit"))
    for value in (
        "Participatory budgeting",
        "Durham",
        "budgets, youth voice",
        "5 November 2019",  # as people write it, never ISO (typed as 2019-11-05)
        "Made permanent",
        "Chamber of Commerce",
        "https://example.org/pb",
        "Ballots in four languages.",
        "Fund outreach.",
    ):
        assert value in page
    assert 'name="timeline-3-date"' in page and 'name="timeline-4-date"' in page
    assert re.search(r'<option selected value="NC">|<option value="NC" selected', page)
    assert "Every required part is complete." in page

    # Edit again: the rows round-trip through the form as rendered.
    again = edit_data(study, **{"timeline-0-description": "Council funds a pilot (5-2)"})
    assert client.post(f"/studies/{study.id}/edit", data=again).status_code == 302
    db.session.expire_all()
    study = db.session.get(CaseStudy, study.id)
    assert [e.description for e in study.timeline][0] == "Council funds a pilot (5-2)"
    assert len(study.stakeholders) == 2 and len(study.links) == 1


def test_rows_move_and_go_without_javascript(app, client, make_user, login_as):
    author = make_user()
    study = complete_study(author)
    login_as(author)
    data = edit_data(study, **{"timeline-2-date": "2023-01", "timeline-2-description": "Third"})
    data["action"] = "up:timeline:2"
    response = client.post(f"/studies/{study.id}/edit", data=data)
    assert response.status_code == 302 and response.headers["Location"].endswith("#part-timeline")
    db.session.expire_all()
    study = db.session.get(CaseStudy, study.id)
    assert [e.description for e in study.timeline] == [
        "Tenant union forms",
        "Third",
        "Council passes bill",
    ]
    data = edit_data(study, action="remove:timeline:0")
    assert client.post(f"/studies/{study.id}/edit", data=data).status_code == 302
    db.session.expire_all()
    study = db.session.get(CaseStudy, study.id)
    assert [e.description for e in study.timeline] == ["Third", "Council passes bill"]
    data = edit_data(study, action="down:timeline:0")
    client.post(f"/studies/{study.id}/edit", data=data)
    db.session.expire_all()
    study = db.session.get(CaseStudy, study.id)
    assert [e.description for e in study.timeline] == ["Council passes bill", "Third"]

    response = client.post(
        f"/studies/{study.id}/edit", data=edit_data(study, action="add:stakeholders")
    )
    assert response.headers["Location"].endswith("more=stakeholders#part-stakeholders")
    page = text(client.get(response.headers["Location"]))
    assert 'name="stakeholders-3-name"' in page  # 1 saved + 1 blank + 2 more


def test_bad_rows_are_named_and_everything_typed_is_kept(app, client, make_user, login_as):
    author = make_user()
    study = complete_study(author)
    login_as(author)
    data = edit_data(
        study,
        **{
            "overview_md": "A new overview I do not want to lose",
            "timeline-2-date": "Junetember 2022",
            "timeline-2-description": "Something happened",
            "stakeholders-1-name": "",
            "stakeholders-1-role": "Only a role",
            "links-0-label": "Evil",
            "links-0-url": "javascript:alert(1)",
            "year_start": "twenty",
        },
    )
    response = client.post(f"/studies/{study.id}/edit", data=data)
    assert response.status_code == 422
    page = text(response)
    assert "Timeline, row 3, Date: Write the date as a year (2019), a month" in page
    assert "Stakeholders, row 2, Name: Give the name of this stakeholder." in page
    assert "Links, row 1, Address (URL): Use a full web address" in page
    assert "Year started" in page
    for typed in (
        "A new overview I do not want to lose",
        "Junetember 2022",
        "Only a role",
        "javascript:alert(1)",
    ):
        assert typed in page
    db.session.expire_all()
    assert db.session.get(CaseStudy, study.id).overview_md != data["overview_md"]


def test_save_a_draft_with_only_title_and_pillar(app, client, make_user, login_as, pillar):
    author = make_user("partner")
    login_as(author)
    client.post("/studies/new", data={"title": "Just a title", "pillar_id": pillar.id})
    study = db.session.scalar(sa.select(CaseStudy))
    response = client.post(
        f"/studies/{study.id}/edit",
        data={"version": str(study.version), "title": "Just a title", "pillar_id": str(pillar.id)},
    )
    assert response.status_code == 302
    response = client.post(
        f"/studies/{study.id}/edit",
        data={"version": str(study.version), "title": "", "pillar_id": str(pillar.id)},
    )
    assert response.status_code == 422 and "Title: This field is required." in text(response)
    response = client.post("/studies/new", data={"title": "", "pillar_id": pillar.id})
    assert "Title" in text(response) and response.status_code == 200


MISSING_CASES = {
    "metadata": ({"kind": None}, "the kind"),
    Section.summary.value: ({"summary": ""}, "summary"),
    Section.overview.value: ({"overview_md": "  "}, "policy or program"),
    Section.timeline.value: ({"timeline": 1}, "Add at least 2 dated events"),
    Section.political_environment.value: (
        {"political_environment_md": "Too short."},
        "at least 150 characters",
    ),
    Section.stakeholders.value: ({"stakeholders": 0}, "Add at least 1 stakeholder"),
    Section.collaborative_governance.value: ({"collaborative_governance_md": ""}, "shared power"),
    Section.outcomes.value: ({"outcomes_md": ""}, "outcomes and impact"),
}


@pytest.mark.parametrize("key", list(MISSING_CASES))
def test_each_required_section_missing_is_reported_by_name(app, client, make_user, login_as, key):
    author = make_user()
    study = complete_study(author)
    assert drafts.missing_sections(study) == {}
    change, words = MISSING_CASES[key]
    for name, value in change.items():
        if name in ("timeline", "stakeholders"):
            setattr(study, name, getattr(study, name)[:value])
        else:
            setattr(study, name, value)
    db.session.commit()
    missing = drafts.missing_sections(study)
    assert list(missing) == [key]
    assert words in missing[key]
    login_as(author)
    page = text(client.get(f"/studies/{study.id}"))
    assert missing[key] in page
    label = "Details" if key == "metadata" else Section(key).label
    assert re.search(rf'class="missing" data-section="{key}">.*?{re.escape(label)}', page, re.S)


def test_metadata_and_optional_sections(app, make_user):
    study = complete_study(
        make_user(), place="", state_code="", government_type=None, equity_md="", lessons_md=""
    )
    missing = drafts.missing_sections(study)
    assert list(missing) == ["metadata"]
    assert "the place" in missing["metadata"] and "the state" in missing["metadata"]
    assert "the government type" in missing["metadata"]
    study.summary = "x" * 401
    assert (
        "Shorten the summary to 400 characters (it has 401)"
        in drafts.missing_sections(study)["summary"]
    )


def test_two_coauthors_saving_the_same_version(app, client, make_user, login_as):
    first, second = make_user(), make_user("partner")
    study = complete_study(first, coauthors=[second])
    loaded = edit_data(study)  # both opened the editor at this version
    other = app.test_client()
    login_as(first)
    mine = dict(loaded, overview_md="First author's overview")
    assert client.post(f"/studies/{study.id}/edit", data=mine).status_code == 302
    other.post("/auth/login", data={"email": second.email, "password": "correct horse battery"})
    theirs = dict(loaded, overview_md="Second author's overview, typed carefully")
    response = other.post(f"/studies/{study.id}/edit", data=theirs)
    assert response.status_code == 409
    page = text(response)
    assert "This study changed since you opened it." in page
    assert "<del>First</del>" in page and "<ins>Second</ins>" in page  # theirs, yours
    assert "typed carefully" in page  # still in the form, to save again
    db.session.expire_all()
    saved = db.session.get(CaseStudy, study.id)
    assert saved.overview_md == "First author's overview"
    # Saving from the conflict page (which carries the new version) replaces theirs on purpose.
    version = re.search(r'name="version" type="hidden" value="(\d+)"', page) or re.search(
        r'name="version" value="(\d+)"', page
    )
    again = dict(theirs, version=version.group(1))
    assert other.post(f"/studies/{study.id}/edit", data=again).status_code == 302
    db.session.expire_all()
    assert db.session.get(CaseStudy, study.id).overview_md.startswith("Second author")


def test_the_database_refuses_a_writer_that_lost_the_race(app, make_user):
    study = complete_study(make_user())
    values = {
        "title": study.title,
        "pillar_id": study.pillar_id,
        "kind": study.kind,
        "place": "Elsewhere",
        "state_code": "MD",
        "government_type": None,
        "population_band": None,
        "year_start": None,
        "year_end": None,
        "topics": [],
        "summary": "s",
        "timeline": [],
        "stakeholders": [],
        "links": [],
    }
    loaded = study.version
    # Another request commits between this one's version check and its write.
    with db.engine.begin() as conn:
        conn.execute(
            sa.update(CaseStudy)
            .where(CaseStudy.id == study.id)
            .values(version=CaseStudy.version + 1)
        )
    with pytest.raises(StaleDataError):
        drafts.save_draft(study, values, loaded)
    db.session.rollback()


def test_autosave_answers_json(app, client, make_user, login_as):
    author = make_user()
    study = complete_study(author)
    login_as(author)
    headers = {"Accept": "application/json"}
    data = edit_data(study, overview_md="Autosaved")
    loaded = study.version
    response = client.post(f"/studies/{study.id}/edit", data=data, headers=headers)
    assert response.status_code == 200 and response.json["ok"] is True
    assert response.json["version"] == loaded + 1 and response.json["missing"] == {}
    stale = client.post(f"/studies/{study.id}/edit", data=data, headers=headers)
    assert stale.status_code == 409 and stale.json["conflict"] is True
    bad = edit_data(study, **{"timeline-0-date": "soon", "version": str(response.json["version"])})
    response = client.post(f"/studies/{study.id}/edit", data=bad, headers=headers)
    assert response.status_code == 422
    assert any("Timeline, row 1, Date" in e["message"] for e in response.json["errors"])


def test_expired_session_keeps_the_text(app, client, make_user, login_as):
    author = make_user()
    study = complete_study(author)
    data = edit_data(study, overview_md="Written while signed out")
    response = client.post(
        f"/studies/{study.id}/edit",
        data=data,
        headers={"Referer": f"http://localhost/studies/{study.id}/edit"},
    )
    assert response.status_code == 302 and "/auth/login" in response.headers["Location"]
    login_as(author)
    page = text(client.get(f"/studies/{study.id}/edit"))
    assert "Written while signed out" in page
    # Handed back once: a later visit shows what is saved.
    assert "Written while signed out" not in text(client.get(f"/studies/{study.id}/edit"))


def test_expired_csrf_token_keeps_the_text(app_factory, make_user):
    app = app_factory(WTF_CSRF_ENABLED=True)
    with app.app_context():
        author = make_user()
        study = complete_study(author)
        client = app.test_client()
        page = text(client.get("/auth/login"))
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
        client.post(
            "/auth/login",
            data={"email": author.email, "password": "correct horse battery", "csrf_token": token},
        )
        data = edit_data(study, overview_md="Typed for an hour", csrf_token="expired")
        url = f"/studies/{study.id}/edit"
        response = client.post(url, data=data, headers={"Referer": f"http://localhost{url}"})
        assert response.status_code == 302 and response.headers["Location"].endswith(url)
        page = text(client.get(url))
        assert "Typed for an hour" in page and "Everything you typed is below" in page


def test_coauthors_added_by_email_and_removed_with_a_record(app, client, make_user, login_as):
    author, co = make_user(), make_user("partner", email="Co.Author@example.org".lower())
    staff = make_user("staff")
    study = complete_study(author)
    login_as(author)
    url = f"/studies/{study.id}/coauthors"
    response = client.post(url, data={"email": "CO.AUTHOR@example.org"})
    assert response.status_code == 302
    db.session.expire_all()
    assert co.id in db.session.get(CaseStudy, study.id).author_ids
    for email, message in (
        (co.email, "already an author"),
        (staff.email, "members and partners"),
        ("nobody@example.org", "No one with that email"),
    ):
        client.post(f"/studies/{study.id}/coauthors", data={"email": email})
        assert message in text(client.get(f"/studies/{study.id}/edit"))
    client.post(f"/studies/{study.id}/coauthors/{author.id}/remove")
    assert "The submitter cannot be removed" in text(client.get(f"/studies/{study.id}/edit"))

    # The co-author edits and acts as an author, but does not manage authors.
    other = app.test_client()
    other.post("/auth/login", data={"email": co.email, "password": "correct horse battery"})
    assert other.get(f"/studies/{study.id}/edit").status_code == 200
    assert other.post(f"/studies/{study.id}/coauthors/{author.id}/remove").status_code == 403

    assert client.post(f"/studies/{study.id}/coauthors/{co.id}/remove").status_code == 302
    db.session.expire_all()
    assert co.id not in db.session.get(CaseStudy, study.id).author_ids
    assert other.get(f"/studies/{study.id}/edit").status_code == 404
    events = db.session.scalars(sa.select(AuditEvent).order_by(AuditEvent.id)).all()
    assert [(e.event, e.actor_id, e.study_id, e.data["user_id"]) for e in events] == [
        ("coauthor_added", author.id, study.id, co.id),
        ("coauthor_removed", author.id, study.id, co.id),
    ]


def test_markdown_xss_corpus_is_stored_inert(app, client, make_user, login_as):
    author = make_user()
    study = complete_study(author)
    login_as(author)
    data = edit_data(study, **{f"{s.value}_md": XSS_TEXT for s in MARKDOWN_SECTIONS})
    data["summary"] = "<script>window.__xss=1</script>"
    assert client.post(f"/studies/{study.id}/edit", data=data).status_code == 302
    db.session.expire_all()
    study = db.session.get(CaseStudy, study.id)
    for s in MARKDOWN_SECTIONS:
        tags = parse_tags(getattr(study, f"{s.value}_html"))
        assert {t for t, _ in tags} <= {"p", "a", "code", "strong", "em"}, tags
        for _tag, attrs in tags:
            assert not any(name.startswith("on") for name, _ in attrs)
            for name, value in attrs:
                if name in ("href", "src"):
                    assert value.split(":")[0].strip().lower() in ("http", "https", "mailto")
    for path in ("", "/preview"):
        page = text(client.get(f"/studies/{study.id}{path}"))
        tags = parse_tags(page)
        start = page.index('<article class="study-reader">')
        content = parse_tags(page[start : page.index("</article>", start)])
        assert not {"svg", "iframe", "img", "details", "script"} & {t for t, _ in content}
        assert all(dict(a).get("src", "").startswith("/static/") for t, a in tags if t == "script")
        assert [t for t, _ in tags].count("body") == 1
        for _tag, attrs in tags:
            assert not any(name.startswith("on") for name, _ in attrs)
            assert not any(
                v and v.strip().lower().startswith(("javascript", "data", "vbscript"))
                for _, v in attrs
            )


def test_my_studies_lists_state_last_change_and_next_step(app, client, make_user, login_as, pillar):
    author = make_user()
    complete_study(author, title="Complete one")
    complete_study(author, title="Sent back", state=StudyState.changes_requested)
    complete_study(author, title="Half done", summary="")
    complete_study(make_user(), title="Someone else's")
    login_as(author)
    page = text(client.get("/studies/"))
    assert "Someone else" not in page
    assert "Ready to submit" in page and "Complete 1 more part" in page
    assert "Revise it and resubmit" in page
    assert StudyState.changes_requested.label in page and StudyState.draft.label in page
    assert "just now" in page


def test_revisions_side_by_side(app, client, make_user, login_as):
    from review.revisions import freeze

    author = make_user()
    study = complete_study(author)
    freeze(study, "submit", author)
    study.summary = "A changed summary for revision two."
    freeze(study, "resubmit", author)
    db.session.commit()
    login_as(author)
    page = text(client.get(f"/studies/{study.id}/revisions?a=1&b=2"))
    assert "<del>" in page and "<ins>" in page and "Revision 1" in page
    page = text(client.get(f"/studies/{study.id}/revisions?a=x&b=<script>"))
    assert "<script>" not in page


def test_no_study_state_assignment_outside_workflow():
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    for path in (
        "review/drafts.py",
        "review/revisions.py",
        "review/attachments.py",
        "review/views/studies.py",
        "forms/studies.py",
    ):
        assert not re.search(r"\.state\s*=[^=]", (root / path).read_text()), path


def test_the_study_page_includes_the_workflow_partial(app, client, make_user, login_as):
    author = make_user()
    study = complete_study(author)
    login_as(author)
    page = text(client.get(f"/studies/{study.id}"))
    assert "Ready to submit?" in page and study.title in page
    assert "Takoma Tenants United" in page and "2022-06-14" in page


def test_visitor_is_sent_to_sign_in(client, app, make_user):
    study = complete_study(make_user())
    response = client.get(f"/studies/{study.id}/edit")
    assert response.status_code == 302 and "/auth/login" in response.headers["Location"]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(StudyAuthor)) == 1


ROLES = ["author", "coauthor", "member", "partner", "cochair", "staff", "visitor"]
# Expected status per route and role, for a draft and then for a submitted study.
# fmt: off
DRAFT = {
    "index":    dict(author=200, coauthor=200, member=200, partner=200, cochair=200, staff=200, visitor=302),  # noqa: E501
    "new_get":  dict(author=200, coauthor=200, member=200, partner=200, cochair=200, staff=403, visitor=302),  # noqa: E501
    "new_post": dict(author=302, coauthor=302, member=302, partner=302, cochair=302, staff=403, visitor=302),  # noqa: E501
    "show":     dict(author=200, coauthor=200, member=404, partner=404, cochair=404, staff=200, visitor=302),  # noqa: E501
    "preview":  dict(author=200, coauthor=200, member=404, partner=404, cochair=404, staff=200, visitor=302),  # noqa: E501
    "revisions": dict(author=200, coauthor=200, member=404, partner=404, cochair=404, staff=200, visitor=302),  # noqa: E501
    "edit_get": dict(author=200, coauthor=200, member=404, partner=404, cochair=404, staff=403, visitor=302),  # noqa: E501
    "edit_post": dict(author=302, coauthor=302, member=404, partner=404, cochair=404, staff=403, visitor=302),  # noqa: E501
    "coauthor_add": dict(author=302, coauthor=403, member=404, partner=404, cochair=404, staff=403, visitor=302),  # noqa: E501
    "coauthor_remove": dict(author=302, coauthor=403, member=404, partner=404, cochair=404, staff=403, visitor=302),  # noqa: E501
    "upload":   dict(author=302, coauthor=302, member=404, partner=404, cochair=404, staff=403, visitor=302),  # noqa: E501
    "download": dict(author=200, coauthor=200, member=404, partner=404, cochair=404, staff=200, visitor=404),  # noqa: E501
    "delete_file": dict(author=302, coauthor=302, member=404, partner=404, cochair=404, staff=403, visitor=302),  # noqa: E501
}
SUBMITTED = {
    "show":     dict(author=200, coauthor=200, member=404, partner=404, cochair=200, staff=200, visitor=302),  # noqa: E501
    "revisions": dict(author=200, coauthor=200, member=404, partner=404, cochair=200, staff=200, visitor=302),  # noqa: E501
    "edit_get": dict(author=403, coauthor=403, member=404, partner=404, cochair=403, staff=403, visitor=302),  # noqa: E501
    "edit_post": dict(author=403, coauthor=403, member=404, partner=404, cochair=403, staff=403, visitor=302),  # noqa: E501
    "upload":   dict(author=403, coauthor=403, member=404, partner=404, cochair=403, staff=403, visitor=302),  # noqa: E501
    "coauthor_add": dict(author=403, coauthor=403, member=404, partner=404, cochair=403, staff=403, visitor=302),  # noqa: E501
    "download": dict(author=200, coauthor=200, member=404, partner=404, cochair=200, staff=200, visitor=404),  # noqa: E501
}
# fmt: on


def _request(client, route, study, extra):
    base = f"/studies/{study.id}"
    pdf = b"%PDF-1.4\n%%EOF\n"
    if route == "index":
        return client.get("/studies/")
    if route == "new_get":
        return client.get("/studies/new")
    if route == "new_post":
        return client.post("/studies/new", data={"title": "Mine", "pillar_id": study.pillar_id})
    if route == "show":
        return client.get(base)
    if route == "preview":
        return client.get(f"{base}/preview")
    if route == "revisions":
        return client.get(f"{base}/revisions")
    if route == "edit_get":
        return client.get(f"{base}/edit")
    if route == "edit_post":
        db.session.expire_all()
        return client.post(f"{base}/edit", data=edit_data(db.session.get(CaseStudy, study.id)))
    if route == "coauthor_add":
        return client.post(f"{base}/coauthors", data={"email": extra["spare"].email})
    if route == "coauthor_remove":
        return client.post(f"{base}/coauthors/{extra['spare'].id}/remove")
    if route == "upload":
        return client.post(
            f"{base}/attachments",
            content_type="multipart/form-data",
            data={"file": (io.BytesIO(pdf), "r.pdf")},
        )
    if route == "download":
        return client.get(f"{base}/attachments/{extra['attachment'].id}")
    if route == "delete_file":
        return client.post(f"{base}/attachments/{extra['attachment'].id}/delete")
    raise AssertionError(route)


def _study_with_file(author, coauthor, spare, pillar, **fields):
    from models import Attachment

    study = complete_study(author, pillar=pillar, coauthors=[coauthor, spare], **fields)
    attachment = Attachment(
        study_id=study.id,
        filename="a.pdf",
        content_type="application/pdf",
        size=5,
        sha256="0" * 64,
        storage_key=f"k{study.id}x",
        uploaded_by_id=author.id,
    )
    db.session.add(attachment)
    db.session.commit()
    return study, attachment


@pytest.mark.parametrize("role", ROLES)
def test_every_role_against_every_route(app, client, make_user, login_as, pillar, role):
    from review import attachments as files

    author, coauthor, spare = make_user(), make_user("partner"), make_user()
    people = {
        "author": author,
        "coauthor": coauthor,
        "member": make_user(),
        "partner": make_user("partner"),
        "cochair": make_user(cochair_of=pillar),
        "staff": make_user("staff"),
        "visitor": None,
    }
    for table, state in ((DRAFT, StudyState.draft), (SUBMITTED, StudyState.submitted)):
        study, attachment = _study_with_file(author, coauthor, spare, pillar, state=state)
        files.storage.current().save(attachment.storage_key, io.BytesIO(b"%PDF-"))
        db.session.commit()
        client.post("/auth/logout")
        if people[role] is not None:
            login_as(people[role])
        extra = {"spare": spare, "attachment": attachment}
        for route, expected in table.items():
            # Remove the spare co-author before re-adding them, so both may succeed.
            response = _request(client, route, study, extra)
            assert response.status_code == expected[role], (state, route, role)
            if route == "coauthor_remove" and response.status_code == 302:
                _request(client, "coauthor_add", study, extra)


def test_a_save_without_a_version_is_refused_not_applied(app, client, make_user, login_as):
    author = make_user()
    study = complete_study(author)
    login_as(author)
    data = edit_data(study, overview_md="From a page that lost its version")
    del data["version"]
    response = client.post(f"/studies/{study.id}/edit", data=data)
    assert response.status_code == 409
    assert "From a page that lost its version" in text(response)
    db.session.expire_all()
    assert db.session.get(CaseStudy, study.id).overview_md.startswith("We won")


def test_authors_compare_the_last_revision_with_their_working_copy(
    app, client, make_user, login_as
):
    from review.revisions import freeze

    author = make_user()
    study = complete_study(author)
    freeze(study, "submit", author)
    study.outcomes_md = "Evictions fell by half."
    db.session.commit()
    login_as(author)
    page = text(client.get(f"/studies/{study.id}/revisions"))
    assert "Working copy" in page and "<ins>half</ins>" in page
