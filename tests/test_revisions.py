"""Revisions: freezing numbers them and copies everything; the diff marks changes per section."""

import pytest

from models import Link, Revision, Stakeholder, TimelineEvent
from models.base import db
from models.enums import Section, StakeholderType, Stance
from review.infra.markdown import render
from review.revisions import diff, freeze, snapshot
from tests.factories import complete_study


def test_snapshot_has_everything(app, make_user):
    author = make_user()
    co = make_user("partner")
    study = complete_study(author, coauthors=[co])
    study.links = [Link(position=0, label="Ordinance", url="https://example.org/o")]
    db.session.commit()
    content = snapshot(study)
    assert content["metadata"]["title"] == study.title
    assert content["metadata"]["state_code"] == "MD"
    assert content["metadata"]["kind"] == "policy_win"
    assert content["summary"] == study.summary
    assert content["sections"]["overview"]["md"] == study.overview_md
    assert "<strong>" in content["sections"]["overview"]["html"]
    assert [e["date"] for e in content["timeline"]] == ["2021-03", "2022-06-14"]
    assert content["stakeholders"][0]["type"] == "community_organisation"
    assert content["links"] == [{"label": "Ordinance", "url": "https://example.org/o"}]
    assert content["topics"] == ["housing"]
    assert [a["user_id"] for a in content["authors"]] == [author.id, co.id]


def test_freeze_numbers_and_is_immutable(app, make_user):
    author = make_user()
    study = complete_study(author)
    first = freeze(study, "submit", author)
    db.session.commit()
    study.overview_md = "Changed"
    second = freeze(study, "resubmit", author)
    db.session.commit()
    assert (first.number, second.number) == (1, 2)
    assert first.content["sections"]["overview"]["md"] != "Changed"
    assert second.content["sections"]["overview"]["md"] == "Changed"
    assert second.created_by_id == author.id
    first.reason = "x"
    with pytest.raises(ValueError):
        db.session.flush()
    db.session.rollback()
    assert db.session.get(Revision, first.id).reason == "submit"


def test_diff_marks_insertions_and_deletions_per_section(app, make_user):
    author = make_user()
    study = complete_study(author)
    old = freeze(study, "submit", author)
    study.overview_md = "We won a **right to counsel** for every renter facing eviction."
    study.overview_html = render(study.overview_md)
    study.timeline[1].description = "Council passes the bill 5-4"
    study.timeline.append(TimelineEvent(position=2, year=2023, month=1, description="In force"))
    study.stakeholders.append(
        Stakeholder(
            position=1,
            name="Landlords",
            type=StakeholderType.business,
            role="Fought it",
            stance=Stance.opposed,
        )
    )
    new = freeze(study, "resubmit", author)
    db.session.commit()
    sections = {s.key: s for s in diff(old, new)}
    assert [k for k, s in sections.items() if s.changed] == [
        Section.overview.value,
        Section.timeline.value,
        Section.stakeholders.value,
    ]
    overview = sections["overview"]
    row = overview.rows[0]
    assert ("delete", "tenant") in row.left and ("insert", "renter") in row.right
    timeline = sections["timeline"]
    assert [r.tag for r in timeline.rows] == ["equal", "replace", "insert"]
    assert timeline.rows[2].right == [("insert", "January 2023 — In force")]
    assert sections["stakeholders"].rows[-1].tag == "insert"


def test_diff_partial_renders_marks(app, make_user):
    from flask import render_template_string

    author = make_user()
    study = complete_study(author)
    old = freeze(study, "submit", author)
    study.summary = "A <script>new</script> summary."
    new = freeze(study, "resubmit", author)
    html = render_template_string(
        '{% include "studies/_diff.html" %}', diff=diff(old, new), left_title="Revision 1"
    )
    assert "<ins>" in html and "<del>" in html
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "Revision 1" in html
