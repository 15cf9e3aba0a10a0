"""Co-chair rounds: quorum, majority and ties, who is counted, the authors' responses, and
the co-chair pages and workflow buttons."""

import re

import pytest
import sqlalchemy as sa

from models import AuditEvent, Review
from models.base import db
from models.enums import Recommendation, StudyState
from review import reviews, workflow
from tests.conftest import PASSWORD
from tests.factories import complete_study
from tests.test_library import count_statements

S = StudyState
ITEM = {"section": "outcomes", "level": "required", "body": "Give the eviction numbers."}


@pytest.fixture
def setup(make_user, pillar):
    def make(quorum: int, cochairs: int, author_is_cochair: bool = False):
        pillar.review_quorum = quorum
        db.session.commit()
        chairs = [make_user("member", cochair_of=pillar) for _ in range(cochairs)]
        author = chairs[0] if author_is_cochair else make_user("member")
        study = complete_study(author, pillar)
        workflow.apply(study, "submit", author)
        db.session.commit()
        return study, author, chairs

    return make


def review(study, who, recommendation, **data):
    data.setdefault("overall", "A reason.")
    workflow.apply(study, "review", who, recommendation=recommendation, **data)
    db.session.commit()


@pytest.mark.parametrize(
    ("quorum", "votes", "expected"),
    [
        (1, ["approve"], S.in_affirmation),
        (1, ["request_changes"], S.changes_requested),
        (1, ["decline"], S.declined),
        (2, ["approve", "approve"], S.in_affirmation),
        (2, ["approve", "request_changes"], S.changes_requested),  # a tie
        (2, ["approve", "decline"], S.changes_requested),  # a tie
        (2, ["decline", "decline"], S.declined),
        (3, ["approve", "approve", "decline"], S.in_affirmation),
        (3, ["request_changes", "approve", "request_changes"], S.changes_requested),
        (3, ["decline", "decline", "approve"], S.declined),
        (3, ["approve", "request_changes", "decline"], S.changes_requested),  # three-way tie
    ],
)
def test_round_is_decided_by_majority_at_quorum(app, setup, quorum, votes, expected):
    study, _, chairs = setup(quorum, 3)
    for n, (chair, vote) in enumerate(zip(chairs, votes, strict=False), start=1):
        assert study.state == (S.submitted if n == 1 else S.in_review)
        review(study, chair, vote, items=[ITEM] if vote == "request_changes" else [])
    assert study.state == expected
    rnd = reviews.rounds_of(study)[0]
    assert rnd.decided_at is not None
    assert sum(rnd.tally.values()) == quorum
    assert rnd.tally == {r.value: votes.count(r.value) for r in Recommendation}
    decisions = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.event == "decide")).all()
    assert len(decisions) == 1 and decisions[0].data["tally"] == rnd.tally


def test_quorum_is_capped_by_eligible_cochairs(app, setup):
    study, _, chairs = setup(3, 2)
    assert reviews.quorum(study) == 2
    review(study, chairs[0], "approve")
    assert study.state == S.in_review
    review(study, chairs[1], "approve")
    assert study.state == S.in_affirmation


def test_a_cochair_who_is_an_author_is_not_counted_and_may_not_review(app, setup):
    study, author, chairs = setup(3, 3, author_is_cochair=True)
    assert [u.id for u in reviews.eligible_reviewers(study)] == sorted(
        [chairs[1].id, chairs[2].id], key=lambda i: next(c.name for c in chairs if c.id == i)
    )
    assert reviews.quorum(study) == 2
    with pytest.raises(workflow.Refused, match="not an author"):
        review(study, author, "approve")
    review(study, chairs[1], "approve")
    review(study, chairs[2], "approve")
    assert study.state == S.in_affirmation


def test_a_declared_conflict_is_not_counted(app, setup):
    study, _, chairs = setup(2, 3)
    review(study, chairs[0], "approve")
    workflow.apply(study, "declare_conflict", chairs[0], comment="My spouse wrote it.")
    db.session.commit()
    assert study.state == S.in_review
    assert reviews.decision_due(study) is False
    with pytest.raises(workflow.Refused):
        review(study, chairs[0], "approve")
    review(study, chairs[1], "approve")
    assert study.state == S.in_review  # chairs[0]'s review does not count
    review(study, chairs[2], "request_changes", items=[ITEM])
    assert study.state == S.changes_requested
    assert reviews.rounds_of(study)[0].tally == {"approve": 1, "request_changes": 1, "decline": 0}


def test_a_conflict_that_leaves_the_quorum_met_decides_the_round(app, setup):
    study, _, chairs = setup(2, 2)
    review(study, chairs[0], "approve")
    workflow.apply(study, "declare_conflict", chairs[1], comment="I co-wrote the ordinance.")
    db.session.commit()
    assert study.state == S.in_affirmation
    assert [e.event for e in workflow.history(study)][-2:] == ["declare_conflict", "decide"]


def test_a_review_is_editable_until_the_round_is_decided(app, setup):
    study, _, chairs = setup(2, 2)
    review(study, chairs[0], "request_changes", items=[ITEM])
    review(study, chairs[0], "approve", items=[])
    reviews_ = db.session.scalars(sa.select(Review)).all()
    assert len(reviews_) == 1 and reviews_[0].recommendation == Recommendation.approve
    assert reviews_[0].items == []
    review(study, chairs[1], "approve")
    assert study.state == S.in_affirmation
    with pytest.raises(workflow.Refused):
        review(study, chairs[0], "decline")


def test_review_needs_its_fields(app, setup):
    study, _, chairs = setup(2, 2)
    with pytest.raises(workflow.Refused, match="Recommendation"):
        review(study, chairs[0], "maybe")
    with pytest.raises(workflow.Refused, match="Overall comment"):
        review(study, chairs[0], "decline", overall="")
    with pytest.raises(workflow.Refused, match="section"):
        review(study, chairs[0], "approve", items=[{"section": "nope", "body": "x"}])
    assert study.state == S.submitted


def test_resubmit_without_responses_is_refused_naming_the_items(app, setup):
    study, author, chairs = setup(1, 1)
    items = [ITEM, {"section": "timeline", "level": "suggestion", "body": "Add the hearing."}]
    review(study, chairs[0], "request_changes", items=items)
    assert study.state == S.changes_requested
    with pytest.raises(workflow.Refused) as caught:
        workflow.apply(study, "resubmit", author)
    assert "Timeline: “Add the hearing.”" in caught.value.message
    assert "Outcomes and impact: “Give the eviction numbers.”" in caught.value.message
    first = [
        i
        for i in reviews.feedback_items(reviews.current_round(study))
        if i.section.value == "timeline"
    ][0]
    reviews.save_responses(study, author, {first.id: "Added the March hearing."})
    db.session.commit()
    with pytest.raises(workflow.Refused) as caught:
        workflow.apply(study, "resubmit", author)
    assert "Timeline" not in caught.value.message and "Outcomes" in caught.value.message
    rest = {i.id: "Added the numbers." for i in reviews.unanswered(reviews.current_round(study))}
    reviews.save_responses(study, author, rest)
    workflow.apply(study, "resubmit", author)
    db.session.commit()
    assert study.state == S.submitted and study.current_round == 2


def test_responses_only_by_authors_while_changes_are_requested(app, setup, make_user):
    study, author, chairs = setup(1, 1)
    with pytest.raises(reviews.ReviewError, match="changes are requested"):
        reviews.save_responses(study, author, {})
    review(study, chairs[0], "request_changes", items=[ITEM])
    with pytest.raises(reviews.ReviewError, match="Only the authors"):
        reviews.save_responses(study, chairs[0], {})


# ---------------------------------------------------------------- pages


def signed_in(app, user):
    client = app.test_client()
    response = client.post("/auth/login", data={"email": user.email, "password": PASSWORD})
    assert response.status_code == 302
    return client


def test_cochair_queue_and_page(app, setup, make_user, pillar):
    study, author, chairs = setup(2, 2)
    client = signed_in(app, chairs[0])
    page = client.get("/cochair/")
    assert page.status_code == 200
    waiting = page.text.split('id="waiting-for-me"')[1].split('id="waiting-for-others"')[0]
    assert study.title in waiting
    page = client.get(f"/cochair/studies/{study.id}")
    assert page.status_code == 200 and "Record my review" in page.text
    # The author may not open the co-chair page; a stranger does not learn it exists.
    assert signed_in(app, author).get(f"/cochair/studies/{study.id}").status_code == 403
    assert (
        signed_in(app, make_user("member")).get(f"/cochair/studies/{study.id}").status_code == 404
    )
    assert signed_in(app, make_user("member")).get("/cochair/").status_code == 403


def test_review_form_keeps_what_was_typed_on_error(app, setup):
    study, _, chairs = setup(2, 2)
    client = signed_in(app, chairs[0])
    data = {
        "version": study.version,
        "overall": "My long thoughts",
        "action": "save",
        "items-0-section": "",
        "items-0-level": "required",
        "items-0-body": "Fix the dates",
    }
    page = client.post(f"/cochair/studies/{study.id}", data=data)
    assert page.status_code == 422
    assert "My long thoughts" in page.text and "Fix the dates" in page.text
    assert "Recommendation: choose approve" in page.text
    assert "Section: choose the section" in page.text
    data.update({"recommendation": "request_changes", "items-0-section": "timeline"})
    page = client.post(f"/cochair/studies/{study.id}", data=data)
    assert page.status_code == 302
    assert study.state == S.in_review


def test_stale_review_page_gets_changed_and_keeps_the_text(app, setup):
    study, _, chairs = setup(3, 3)
    loaded = study.version
    review(study, chairs[1], "approve")
    client = signed_in(app, chairs[0])
    page = client.post(
        f"/cochair/studies/{study.id}",
        data={
            "version": loaded,
            "recommendation": "approve",
            "overall": "Typed before",
            "action": "save",
        },
    )
    assert page.status_code == 409
    assert "changed since you opened it" in page.text and "Typed before" in page.text
    assert f'value="{study.version}"' in page.text
    assert len(reviews.current_round(study).reviews) == 1


def test_staff_override_through_the_page_needs_a_reason(app, setup, make_user):
    study, _, _ = setup(1, 0)
    staff = make_user("staff")
    client = signed_in(app, staff)
    page = client.get(f"/cochair/studies/{study.id}")
    assert "in place of the co-chairs" in page.text
    data = {"version": study.version, "recommendation": "approve", "action": "save"}
    page = client.post(f"/cochair/studies/{study.id}", data=data)
    assert page.status_code == 422 and "Reason: say why" in page.text
    data["reason"] = "No co-chair for this pillar yet."
    assert client.post(f"/cochair/studies/{study.id}", data=data).status_code == 302
    assert study.state == S.in_affirmation


def test_workflow_buttons(app, setup, make_user):
    study, author, chairs = setup(1, 1)
    client = signed_in(app, author)
    page = client.get(f"/studies/{study.id}")
    assert "Whose turn:" in page.text and chairs[0].name in page.text
    assert f'action="/studies/{study.id}/act/withdraw"' in page.text
    # The pillar's co-chair sees the study but may not withdraw it: 403 with the reason.
    other = signed_in(app, chairs[0])
    response = other.post(f"/studies/{study.id}/act/withdraw", data={"version": study.version})
    assert response.status_code == 403 and "Only the authors" in response.text
    # Unknown events and malformed versions never give a 500.
    assert client.post(f"/studies/{study.id}/act/explode", data={}).status_code == 404
    response = client.post(f"/studies/{study.id}/act/withdraw", data={"version": "abc"})
    assert response.status_code == 302
    assert study.state == S.withdrawn
    # Stale page: the button of an older version is refused with "changed".
    response = client.post(
        f"/studies/{study.id}/act/reopen", data={"version": "1"}, follow_redirects=True
    )
    assert "changed since you opened it" in response.text
    assert study.state == S.withdrawn


def test_author_responds_on_the_study_page(app, setup):
    study, author, chairs = setup(1, 1)
    review(study, chairs[0], "request_changes", items=[ITEM])
    client = signed_in(app, author)
    page = client.get(f"/studies/{study.id}")
    item = reviews.feedback_items(reviews.current_round(study))[0]
    assert f'name="response-{item.id}"' in page.text and "Give the eviction numbers." in page.text
    response = client.post(
        f"/studies/{study.id}/act/resubmit", data={"version": study.version}, follow_redirects=True
    )
    assert "Write a response to every feedback item" in response.text
    assert "Give the eviction numbers." in response.text
    client.post(f"/studies/{study.id}/responses", data={f"response-{item.id}": "Added them."})
    db.session.refresh(item)
    assert item.response == "Added them."
    client.post(f"/studies/{study.id}/act/resubmit", data={"version": study.version})
    db.session.refresh(study)
    assert study.state == S.submitted
    page = signed_in(app, chairs[0]).get(f"/cochair/studies/{study.id}")
    assert "Added them." in page.text and "Round 1 feedback" in page.text


def test_race_loser_gets_everything_back_below_the_new_state(app, setup):
    study, _, chairs = setup(2, 3)
    review(study, chairs[0], "approve")
    loaded = study.version
    review(study, chairs[1], "approve")  # the round is decided meanwhile
    assert study.state == S.in_affirmation
    client = signed_in(app, chairs[2])
    page = client.post(
        f"/cochair/studies/{study.id}",
        data={
            "version": loaded,
            "recommendation": "request_changes",
            "overall": "My overall words, typed slowly",
            "action": "save",
            "items-0-section": "timeline",
            "items-0-level": "required",
            "items-0-body": "First item: date the council vote",
            "items-1-section": "outcomes",
            "items-1-level": "suggestion",
            "items-1-body": "Second item: add eviction numbers",
        },
    )
    assert page.status_code == 409
    html = page.text
    state = html.index("The study is now <strong>in network affirmation</strong>")
    form = html.index('name="overall"')
    assert state < form, "the new state comes above the form"
    assert "round 1 was decided (approve)" in html
    for typed in (
        "My overall words, typed slowly",
        "First item: date the council vote",
        "Second item: add eviction numbers",
    ):
        assert typed in html[form - 2000 :]
    assert re.search(r'<input checked[^>]*value="request_changes"', html)
    assert re.search(r'<option selected value="suggestion">', html)
    assert len(reviews.current_round(study).reviews) == 2


def test_conflict_comment_survives_a_changed_study(app, setup):
    study, _, chairs = setup(3, 3)
    loaded = study.version
    review(study, chairs[0], "approve")
    client = signed_in(app, chairs[1])
    page = client.post(
        f"/cochair/studies/{study.id}/conflict",
        data={"version": loaded, "comment": "I advised the campaign in 2021"},
    )
    assert page.status_code == 409
    assert "I advised the campaign in 2021" in page.text
    assert f'value="{study.version}"' in page.text


def test_cochair_queue_costs_the_same_statements_for_5_and_50(app, make_user, pillar):
    pillar.review_quorum = 2
    db.session.commit()
    chairs = [make_user("member", cochair_of=pillar) for _ in range(3)]
    coauthor = make_user("member", name="Cora Coauthor")

    def add(n: int) -> None:
        for i in range(n):
            author = make_user("member", name=f"Author {i}")
            study = complete_study(author, pillar, coauthors=[coauthor], title=f"Queue {i}")
            workflow.apply(study, "submit", author)
            if i % 3 == 1:
                workflow.apply(study, "review", chairs[1], recommendation="approve", overall="ok")
            elif i % 3 == 2:
                for chair in chairs[1:]:
                    workflow.apply(study, "review", chair, recommendation="decline", overall="no")
            db.session.commit()

    client = signed_in(app, chairs[0])
    counts = []
    for n in (5, 45):
        add(n)
        client.get("/cochair/")  # warm caches (templates, the session's first load)
        with count_statements() as seen:
            page = client.get("/cochair/")
        assert page.status_code == 200
        counts.append(len(seen))
    assert counts[0] == counts[1] <= 4, counts
    waiting = page.text.split('id="waiting-for-me"')[1].split('id="waiting-for-others"')[0]
    assert waiting.count("<tr") == 1 + 34  # the header row; submitted and reviewed once
    assert "1 of 2" in waiting and "Cora Coauthor" in waiting and "Author 4" in waiting
    decided = page.text.split('id="decided"')[1]
    assert "Declined" in decided and decided.count("<tr") == 1 + 16
