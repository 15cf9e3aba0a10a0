"""Review drafts: a co-chair saves a review without recording it; only "Record my review"
counts toward the quorum (as HotCRP does), and nobody else sees the draft."""

import sqlalchemy as sa

from models import Review, WorkingCopy
from models.base import db
from models.enums import StudyState
from review import reviews, workflow
from tests.factories import complete_study
from tests.sweep import sign_in


def test_a_draft_is_not_counted_and_recording_it_is(app, make_user, pillar):
    pillar.review_quorum = 1
    db.session.commit()
    chair, other = (make_user("member", cochair_of=pillar) for _ in range(2))
    author = make_user("member")
    study = complete_study(author, pillar)
    workflow.apply(study, "submit", author)
    db.session.commit()
    client = sign_in(app, chair)
    typed = {
        "version": str(study.version),
        "recommendation": "request_changes",
        "overall": "Half-written: the outcomes need",
        "items-0-section": "outcomes",
        "items-0-level": "required",
        "items-0-body": "x" * 6000,  # over the maximum: kept
    }
    response = client.post(f"/cochair/studies/{study.id}", data={**typed, "action": "draft"})
    assert response.status_code == 302 and response.headers["Location"].endswith("#review")
    db.session.expire_all()
    assert study.state == StudyState.submitted
    assert reviews.counted_reviews(study, reviews.current_round(study)) == []
    assert db.session.scalar(sa.select(sa.func.count(Review.id))) == 0

    page = client.get(f"/cochair/studies/{study.id}").get_data(as_text=True)
    assert "Half-written: the outcomes need" in page and "x" * 6000 in page
    assert "does not count toward the decision" in page
    theirs = sign_in(app, other).get(f"/cochair/studies/{study.id}").get_data(as_text=True)
    assert "Half-written" not in theirs
    authors = sign_in(app, author).get(f"/studies/{study.id}").get_data(as_text=True)
    assert "Half-written" not in authors

    typed["items-0-body"] = "Give the eviction numbers for the first year."
    response = client.post(f"/cochair/studies/{study.id}", data={**typed, "action": "save"})
    assert response.status_code == 302
    db.session.expire_all()
    assert study.state == StudyState.changes_requested
    assert len(reviews.counted_reviews(study, reviews.current_round(study))) == 1
    assert db.session.scalar(sa.select(sa.func.count(WorkingCopy.id))) == 0
