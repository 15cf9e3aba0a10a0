"""Two co-chairs completing a round's quorum at the same moment, on SQLite and PostgreSQL:
exactly one decision, one decision audit event, one set of notifications; the other person
gets "this study changed" and nothing of theirs is applied."""

import threading

import sqlalchemy as sa

from models import AuditEvent, CaseStudy, Notification, Review, User
from models.base import db
from models.enums import StudyState
from review import workflow
from tests.factories import complete_study

ROUNDS = int(__import__("os").environ.get("C_ROUNDS", "50"))


def _review_at_once(app, study_id: int, user_id: int, version: int, barrier, results, key):
    with app.app_context():
        try:
            study = db.session.get(CaseStudy, study_id)
            user = db.session.get(User, user_id)
            barrier.wait(timeout=20)
            workflow.apply(
                study,
                "review",
                user,
                expected_version=version,
                recommendation="approve",
                overall="Ready.",
            )
            db.session.commit()
            results[key] = "applied"
        except workflow.Changed as exc:
            db.session.rollback()
            results[key] = exc.message
        except Exception as exc:  # reported by the test, never swallowed
            db.session.rollback()
            results[key] = f"error: {exc!r}"
        finally:
            db.session.remove()


def test_two_cochairs_completing_the_quorum_at_once(app, make_user, pillar):
    # Mail is stored rather than sent, so that the repetitions stay fast.
    app.config["MAIL_TRANSPORT"] = "store"
    pillar.review_quorum = 2
    db.session.commit()
    author = make_user("member")
    first, second, third = (make_user("member", cochair_of=pillar) for _ in range(3))
    for n in range(ROUNDS):
        study = complete_study(author, pillar, title=f"Study {n}")
        workflow.apply(study, "submit", author)
        workflow.apply(study, "review", first, recommendation="approve")
        db.session.commit()
        assert study.state == StudyState.in_review
        version = study.version
        barrier = threading.Barrier(2)
        results: dict[str, str] = {}
        threads = [
            threading.Thread(
                target=_review_at_once, args=(app, study.id, who.id, version, barrier, results, key)
            )
            for key, who in (("second", second), ("third", third))
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
        outcomes = sorted(results.values())
        assert outcomes == ["This study changed since you opened it.", "applied"], outcomes
        db.session.expire_all()
        assert study.state == StudyState.in_affirmation
        decisions = db.session.scalar(
            sa.select(sa.func.count(AuditEvent.id)).where(
                AuditEvent.study_id == study.id, AuditEvent.event == "decide"
            )
        )
        assert decisions == 1
        reviews_saved = db.session.scalar(
            sa.select(sa.func.count(Review.id)).where(Review.reviewer_id.in_([second.id, third.id]))
        )
        assert reviews_saved == n + 1  # one of the two per repetition, never both
        approved = db.session.scalars(
            sa.select(Notification.recipient_id).where(
                Notification.study_id == study.id, Notification.kind == "study_approved"
            )
        ).all()
        assert approved == [author.id]
