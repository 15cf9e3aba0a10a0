"""The state machine: every (state, event, role) against SPEC §4, refusals that write nothing,
the history of a study through three rounds, who is told, and nothing else assigns a state."""

import re
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask_login import AnonymousUserMixin

from models import AuditEvent, CaseStudy, CochairAssignment, Conflict, Notification, Pillar
from models.base import db
from models.clock import utcnow
from models.enums import StudyState
from review import reviews, workflow
from tests.factories import complete_study

S = StudyState
ROOT = Path(__file__).resolve().parent.parent

AUTHORS = {"member_author", "coauthor"}
ROLES = (
    "member_author",
    "coauthor",
    "other_member",
    "partner",
    "cochair",
    "other_cochair",
    "conflicted_cochair",
    "staff",
    "visitor",
)
OPEN = (S.submitted, S.in_review)

# SPEC §4, written out independently of review/workflow/table.py: who may do what, from where.
EXPECTED: dict[tuple[str, StudyState], set[str]] = {("submit", S.draft): AUTHORS}
for _s in OPEN:
    EXPECTED[("review", _s)] = {"cochair"}
    EXPECTED[("override", _s)] = {"staff"}
for _s in (S.submitted, S.in_review, S.changes_requested, S.in_affirmation):
    EXPECTED[("declare_conflict", _s)] = {"cochair"}
EXPECTED[("resubmit", S.changes_requested)] = AUTHORS
EXPECTED[("publish", S.affirmed)] = {"staff"}
EXPECTED[("unpublish", S.published)] = {"staff"}
for _s in (S.draft, S.submitted, S.in_review, S.changes_requested, S.in_affirmation):
    EXPECTED[("withdraw", _s)] = AUTHORS
EXPECTED[("reopen", S.withdrawn)] = AUTHORS
EXPECTED[("reopen", S.declined)] = {"staff"}
# decide and close_affirmation belong to the system: no person may apply them.

PAYLOAD = {
    "review": {"recommendation": "approve", "overall": "Clear and useful."},
    "override": {"recommendation": "approve", "reason": "Both co-chairs are away."},
    "declare_conflict": {"comment": "I advised the campaign."},
    "close_affirmation": {"affirmed": True},
    "unpublish": {"reason": "A name must be corrected."},
    "reopen": {"reason": "Declined by mistake."},
}


@pytest.fixture
def people(make_user, pillar):
    other_pillar = db.session.scalar(sa.select(Pillar).where(Pillar.id != pillar.id).limit(1))
    pillar.review_quorum = 2
    db.session.commit()
    return {
        "member_author": make_user("member"),
        "coauthor": make_user("partner"),
        "other_member": make_user("member"),
        "partner": make_user("partner"),
        "cochair": make_user("member", cochair_of=pillar),
        "second_cochair": make_user("member", cochair_of=pillar),
        "other_cochair": make_user("member", cochair_of=other_pillar),
        "conflicted_cochair": make_user("member", cochair_of=pillar),
        "staff": make_user("staff"),
        "visitor": AnonymousUserMixin(),
    }


def new_study(people, pillar, **fields):
    study = complete_study(
        people["member_author"], pillar, coauthors=[people["coauthor"]], **fields
    )
    db.session.add(
        Conflict(
            study_id=study.id,
            user_id=people["conflicted_cochair"].id,
            reason="Family",
            created_at=utcnow(),
        )
    )
    db.session.commit()
    return study


def both_review(study, people, recommendation, **extra):
    for who in ("cochair", "second_cochair"):
        workflow.apply(
            study, "review", people[who], recommendation=recommendation, overall="Comment", **extra
        )
        db.session.commit()


ITEM = [{"section": "timeline", "level": "required", "body": "Add the date of the vote."}]


def walk_to(state: StudyState, people, pillar):
    """Return a committed study brought to `state` through the workflow's own operations."""
    study = new_study(people, pillar)
    author, staff = people["member_author"], people["staff"]
    if state == S.draft:
        return study
    if state == S.withdrawn:
        workflow.apply(study, "withdraw", author)
        db.session.commit()
        return study
    workflow.apply(study, "submit", author)
    db.session.commit()
    if state == S.submitted:
        return study
    if state == S.in_review:
        workflow.apply(study, "review", people["cochair"], recommendation="approve")
        db.session.commit()
        return study
    if state == S.changes_requested:
        both_review(study, people, "request_changes", items=ITEM)
        rnd = reviews.current_round(study)
        reviews.save_responses(
            study, author, {it.id: "Added." for it in reviews.feedback_items(rnd)}
        )
        db.session.commit()
        return study
    if state == S.declined:
        both_review(study, people, "decline")
        return study
    both_review(study, people, "approve")
    if state == S.in_affirmation:
        return study
    workflow.apply(study, "close_affirmation", None, affirmed=True)
    db.session.commit()
    if state == S.affirmed:
        return study
    workflow.apply(study, "publish", staff)
    db.session.commit()
    assert state == S.published
    return study


def counts() -> tuple[int, int]:
    return (
        db.session.scalar(sa.select(sa.func.count(AuditEvent.id))),
        db.session.scalar(sa.select(sa.func.count(Notification.id))),
    )


def test_every_state_event_and_role_follows_the_table(app, people, pillar):
    mismatches = []
    for state in S:
        study = walk_to(state, people, pillar)
        assert study.state == state
        for event in workflow.EVENTS:
            for role in ROLES:
                before = counts()
                version = study.version
                try:
                    workflow.apply(study, event, people[role], **PAYLOAD.get(event, {}))
                    allowed = True
                except workflow.Refused as exc:
                    allowed = False
                    assert exc.message
                    # A refusal changes nothing and writes nothing.
                    assert study.state == state and study.version == version
                    assert counts() == before
                db.session.rollback()
                assert study.state == state
                if allowed != (role in EXPECTED.get((event, state), set())):
                    mismatches.append((state.value, event, role, allowed))
    assert mismatches == []


def test_system_events_refuse_people_and_need_their_conditions(app, people, pillar):
    study = walk_to(S.in_review, people, pillar)
    with pytest.raises(workflow.Refused, match="reviews it needs"):
        workflow.apply(study, "decide", None)
    with pytest.raises(workflow.Refused):
        workflow.apply(study, "decide", people["staff"])
    with pytest.raises(workflow.Refused, match="cannot be closed for affirmation"):
        workflow.apply(study, "close_affirmation", None, affirmed=True)
    with pytest.raises(workflow.Refused, match="not something"):
        workflow.apply(study, "teleport", people["staff"])


def test_refusal_says_why(app, people, pillar):
    study = new_study(people, pillar, outcomes_md="")
    with pytest.raises(workflow.Refused, match="Complete these parts first: Outcomes"):
        workflow.apply(study, "submit", people["member_author"])
    with pytest.raises(workflow.Refused, match="Only the authors"):
        workflow.apply(study, "withdraw", people["other_member"])
    with pytest.raises(workflow.Refused, match="Sign in"):
        workflow.apply(study, "withdraw", people["visitor"])
    assert counts() == (0, 0)


def test_stale_version_is_changed_and_applies_nothing(app, people, pillar):
    study = walk_to(S.submitted, people, pillar)
    loaded = study.version
    workflow.apply(
        study, "review", people["cochair"], recommendation="approve", expected_version=loaded
    )
    db.session.commit()
    before = counts()
    with pytest.raises(workflow.Changed) as caught:
        workflow.apply(study, "withdraw", people["member_author"], expected_version=loaded)
    assert "changed since you opened it" in caught.value.message
    assert any("reviewed" in line for line in caught.value.what_happened)
    assert counts() == before
    assert study.state == S.in_review


def test_history_through_three_rounds_reads_in_order(app, people, pillar):
    study = walk_to(S.submitted, people, pillar)
    author = people["member_author"]
    for _round in (1, 2):
        both_review(study, people, "request_changes", items=ITEM)
        rnd = reviews.current_round(study)
        reviews.save_responses(
            study, author, {it.id: "Done." for it in reviews.feedback_items(rnd)}
        )
        workflow.apply(study, "resubmit", author, comment=f"Revised after round {_round}")
        db.session.commit()
    both_review(study, people, "approve")
    assert study.state == S.in_affirmation
    steps = [(e.event, e.round_number, e.from_state, e.to_state) for e in workflow.history(study)]
    r = "request_changes"
    assert steps == [
        ("submit", 1, "draft", "submitted"),
        ("review", 1, "submitted", "in_review"),
        ("review", 1, "in_review", "in_review"),
        ("decide", 1, "in_review", "changes_requested"),
        ("resubmit", 2, "changes_requested", "submitted"),
        ("review", 2, "submitted", "in_review"),
        ("review", 2, "in_review", "in_review"),
        ("decide", 2, "in_review", "changes_requested"),
        ("resubmit", 3, "changes_requested", "submitted"),
        ("review", 3, "submitted", "in_review"),
        ("review", 3, "in_review", "in_review"),
        ("decide", 3, "in_review", "in_affirmation"),
    ]
    events = workflow.history(study)
    assert [e.data["decision"] for e in events if e.event == "decide"] == [r, r, "approve"]
    assert events[4].comment == "Revised after round 1"
    assert events[0].actor_id == author.id and events[3].actor_id is None
    assert [rnd.number for rnd in reviews.rounds_of(study)] == [1, 2, 3]
    assert [rnd.revision.number for rnd in reviews.rounds_of(study)] == [1, 2, 3]


def _recipients(smtp) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for m in smtp.messages:
        out.setdefault(m["Subject"].split(":")[0], set()).add(m["To"].lower())
    return out


def test_each_event_tells_the_right_people(app, people, pillar, smtp, make_user):
    author, coauthor = people["member_author"], people["coauthor"]
    staff = people["staff"]
    study = new_study(people, pillar)
    authors = {author.email, coauthor.email}
    cochairs = {people["cochair"].email, people["second_cochair"].email}

    workflow.apply(study, "submit", author)
    db.session.commit()
    assert _recipients(smtp) == {"Submitted for your review": cochairs, "Submitted": authors}
    text = smtp.to(people["cochair"].email)[0].get_body(("plain",)).get_content()
    assert f"http://reimagine.test/cochair/studies/{study.id}" in text
    assert "Right to counsel for tenants" in smtp.messages[0]["Subject"]

    smtp.clear()
    workflow.apply(study, "review", people["cochair"], recommendation="request_changes", items=ITEM)
    db.session.commit()
    assert smtp.messages == []
    workflow.apply(
        study,
        "review",
        people["second_cochair"],
        recommendation="decline",
        overall="Not a policy win yet.",
    )
    db.session.commit()
    assert _recipients(smtp) == {"Changes requested": authors}
    text = smtp.to(author.email)[0].get_body(("plain",)).get_content()
    assert "Add the date of the vote." in text and "Not a policy win yet." in text
    assert f"http://reimagine.test/studies/{study.id}" in text

    smtp.clear()
    rnd = reviews.current_round(study)
    reviews.save_responses(study, author, {i.id: "Added." for i in reviews.feedback_items(rnd)})
    workflow.apply(study, "resubmit", author)
    db.session.commit()
    assert _recipients(smtp) == {"Resubmitted for your review": cochairs, "Resubmitted": authors}

    smtp.clear()
    both_review(study, people, "approve")
    # Issue 5 (engineer D): the opened window is announced to every member and partner who
    # is not an author (workers.affirmation.announce_opened, run inline here).
    network = {
        p.email
        for k, p in people.items()
        if k not in ("member_author", "coauthor", "staff", "visitor")
    }
    assert _recipients(smtp) == {
        "Approved by the co-chairs": authors,
        "Open for network affirmation": network,
    }

    smtp.clear()
    workflow.apply(study, "close_affirmation", None, affirmed=True)
    db.session.commit()
    assert _recipients(smtp) == {"Affirmed by the network": authors | cochairs | {staff.email}}

    smtp.clear()
    follower = make_user("member")
    follower.followed_pillars.append(pillar)
    db.session.commit()
    workflow.apply(study, "publish", staff)
    db.session.commit()
    got = _recipients(smtp)
    assert got["Published"] == authors | cochairs
    assert follower.email in got["Newly published in " + pillar.name]
    assert study.published_at is not None and study.slug

    smtp.clear()
    workflow.apply(study, "unpublish", staff, reason="A name must be corrected.")
    db.session.commit()
    assert _recipients(smtp) == {"Removed from the library": authors}
    assert (
        "A name must be corrected." in smtp.to(author.email)[0].get_body(("plain",)).get_content()
    )
    assert study.published_at is None and study.first_published_at is not None


def test_withdraw_tells_cochairs_only_after_submission(app, people, pillar, smtp):
    draft = new_study(people, pillar)
    workflow.apply(draft, "withdraw", people["member_author"])
    db.session.commit()
    assert smtp.messages == []
    study = walk_to(S.submitted, people, pillar)
    smtp.clear()
    workflow.apply(study, "withdraw", people["coauthor"], comment="Moving it to next year.")
    db.session.commit()
    assert _recipients(smtp) == {
        "Withdrawn by the authors": {people["cochair"].email, people["second_cochair"].email}
    }
    workflow.apply(study, "reopen", people["member_author"])
    workflow.apply(study, "submit", people["member_author"])
    db.session.commit()
    assert study.current_round == 2


def test_declined_reopened_by_staff_with_reason(app, people, pillar, smtp):
    study = walk_to(S.declined, people, pillar)
    with pytest.raises(workflow.Refused, match="Reason"):
        workflow.apply(study, "reopen", people["staff"])
    smtp.clear()
    workflow.apply(study, "reopen", people["staff"], reason="The pillar was wrong.")
    db.session.commit()
    assert study.state == S.draft
    assert _recipients(smtp) == {
        "Reopened as a draft": {people["member_author"].email, people["coauthor"].email}
    }
    last = workflow.history(study)[-1]
    assert last.override_reason == "The pillar was wrong." and last.actor_id == people["staff"].id


def test_no_eligible_cochair_tells_staff_who_may_review_instead(app, make_user, pillar, smtp):
    author = make_user("member")
    staff = make_user("staff")
    study = complete_study(author, pillar)
    workflow.apply(study, "submit", author)
    db.session.commit()
    assert smtp.to(staff.email)[0]["Subject"].startswith("No co-chair can review this study")
    with pytest.raises(workflow.Refused, match="Reason"):
        workflow.apply(study, "override", staff, recommendation="approve")
    workflow.apply(
        study, "override", staff, recommendation="approve", reason="No co-chair is assigned yet."
    )
    db.session.commit()
    assert study.state == S.in_affirmation
    review_event = [e for e in workflow.history(study) if e.event == "override"][0]
    assert review_event.override_reason == "No co-chair is assigned yet."
    assert reviews.rounds_of(study)[0].reviews[0].override_reason


def test_affirmation_returned_carries_objections_into_next_round(app, people, pillar, smtp):
    study = walk_to(S.in_affirmation, people, pillar)
    smtp.clear()
    workflow.apply(
        study,
        "close_affirmation",
        None,
        affirmed=False,
        objections=["The outcomes have no numbers."],
    )
    db.session.commit()
    assert study.state == S.in_review and study.current_round == 2
    items = reviews.feedback_items(reviews.current_round(study))
    assert [(i.body, i.source) for i in items] == [("The outcomes have no numbers.", "affirmation")]
    subjects = {m["Subject"].split(":")[0] for m in smtp.messages}
    assert subjects == {
        "Returned to the co-chairs after affirmation",
        "Returned to you after affirmation",
    }


def test_approval_opens_an_affirmation_window(app, people, pillar):
    from models import AffirmationWindow

    study = walk_to(S.in_affirmation, people, pillar)
    window = db.session.scalar(
        sa.select(AffirmationWindow).where(AffirmationWindow.study_id == study.id)
    )
    assert window.round_number == 1 and window.closed_at is None
    assert (window.closes_at - window.opened_at).days == app.config["AFFIRMATION_DAYS"]
    assert workflow.whose_turn(study).until == window.closes_at


def test_only_workflow_assigns_a_state():
    pattern = re.compile(r"\.state\s*=(?!=)")
    # People and commitments have a US state column; only a study's workflow state matters here.
    allowed_owner = re.compile(
        r"\b(user|person|u|account|req|access_request|commitment|c|row)"
        r"\.state\s*="
    )
    offenders = []
    for folder in ("review", "models", "workers", "forms"):
        for path in (ROOT / folder).rglob("*.py"):
            if path == ROOT / "review" / "workflow" / "apply.py":
                continue
            for n, line in enumerate(path.read_text().splitlines(), start=1):
                if pattern.search(line) and not allowed_owner.search(line):
                    offenders.append(f"{path.relative_to(ROOT)}:{n}: {line.strip()}")
    assert offenders == []
    assert (
        "set_committed_value(study, key, value)" in (ROOT / "review/workflow/apply.py").read_text()
    )


def test_available_events_match_apply(app, people, pillar):
    study = walk_to(S.submitted, people, pillar)
    names = {e.event for e in workflow.available_events(study, people["member_author"])}
    assert names == {"withdraw"}
    names = {e.event for e in workflow.available_events(study, people["cochair"])}
    assert names == {"review", "declare_conflict"}
    assert workflow.available_events(study, people["visitor"]) == []


def test_diagram_command_prints_the_table_and_readme_shows_it(app):
    result = app.test_cli_runner().invoke(args=["workflow", "diagram"])
    assert result.exit_code == 0
    assert result.output.startswith("stateDiagram-v2")
    for event in workflow.EVENTS:
        assert f": {event} (" in result.output
    assert result.output.strip() in (ROOT / "README.md").read_text()


def test_cochair_assignment_removed_leaves_staff_alone(app, people, pillar):
    """A pillar whose co-chairs are all gone decides on one staff review."""
    study = walk_to(S.submitted, people, pillar)
    db.session.execute(sa.delete(CochairAssignment).where(CochairAssignment.pillar_id == pillar.id))
    db.session.commit()
    assert reviews.quorum(study) == 1
    workflow.apply(
        study,
        "override",
        people["staff"],
        recommendation="decline",
        overall="Out of scope.",
        reason="The working group dissolved.",
    )
    db.session.commit()
    assert study.state == S.declined


def test_demo_has_studies_in_every_state_with_their_history(app):
    from review import demo

    app.config["MAIL_TRANSPORT"] = "store"
    demo.seed()
    db.session.commit()
    states = set(db.session.scalars(sa.select(CaseStudy.state)))
    assert states == set(S)
    asked = db.session.scalar(sa.select(CaseStudy).where(CaseStudy.state == S.changes_requested))
    assert len(reviews.feedback_items(reviews.current_round(asked))) >= 2
    assert [e.event for e in workflow.history(asked)][:2] == ["submit", "review"]


def test_every_notification_kind_has_its_templates():
    source = (ROOT / "review/workflow/effects.py").read_text()
    kinds = set(re.findall(r'_tell\(\s*ctx,\s*"(\w+)"', source))
    assert len(kinds) >= 12
    for kind in kinds:
        for ext in ("txt", "html"):
            assert (ROOT / "templates/email" / f"{kind}.{ext}").is_file(), kind
