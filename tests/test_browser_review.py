"""The review workflow in a real browser (CSRF on): submit → two reviews → changes requested →
responses → resubmit → approval."""

import sqlalchemy as sa

from models import CaseStudy, CochairAssignment, Pillar, User
from models.base import db
from models.clock import utcnow
from models.enums import StudyState, UserKind
from review import workflow
from tests.conftest import _PASSWORD_HASH
from tests.factories import complete_study


def person(email: str, name: str, pillar: Pillar | None = None) -> User:
    user = User(
        email=email,
        name=name,
        kind=UserKind.member,
        password_hash=_PASSWORD_HASH,
        created_at=utcnow(),
    )
    db.session.add(user)
    db.session.flush()
    if pillar is not None:
        db.session.add(CochairAssignment(pillar_id=pillar.id, user_id=user.id))
    db.session.commit()
    return user


def state_of(study_id: int) -> StudyState:
    db.session.expire_all()
    return db.session.get(CaseStudy, study_id).state


def sign_out(page) -> None:
    page.click("header .who button[type=submit]")
    page.wait_for_load_state()


def review(page, url: str, recommendation: str, section: str = "", body: str = "") -> None:
    page.goto(url)
    page.check(f"input[name=recommendation][value={recommendation}]")
    page.fill("#overall", f"My view: {recommendation.replace('_', ' ')}.")
    if body:
        page.select_option("#items-0-section", section)
        page.fill("#items-0-body", body)
    page.click("button[name=action][value=save]")
    page.wait_for_load_state()


def test_submit_review_respond_resubmit_approve(live_server, page, browser_login):
    pillar = db.session.scalar(sa.select(Pillar).order_by(Pillar.position))
    author = person("author@example.org", "Ada Author")
    first = person("first@example.org", "Fay First", pillar)
    second = person("second@example.org", "Sol Second", pillar)
    study = complete_study(author, pillar)
    study_url = f"{live_server.url}/studies/{study.id}"
    review_url = f"{live_server.url}/cochair/studies/{study.id}"

    browser_login(author.email)
    page.goto(study_url)
    page.click("button[data-event=submit]")
    page.wait_for_load_state()
    assert "the study is now submitted" in page.text_content(".flashes")
    assert "Whose turn:" in page.text_content(".turn-banner")
    assert state_of(study.id) == StudyState.submitted
    sign_out(page)

    browser_login(first.email)
    page.goto(f"{live_server.url}/cochair/")
    assert study.title in page.text_content("#waiting-for-me")
    review(page, review_url, "request_changes", "timeline", "Add the date of the final vote.")
    assert "Your review is saved" in page.text_content(".flashes")
    sign_out(page)

    browser_login(second.email)
    review(page, review_url, "request_changes", "outcomes", "How many evictions were avoided?")
    assert "completed the round" in page.text_content(".flashes")
    assert state_of(study.id) == StudyState.changes_requested
    sign_out(page)

    browser_login(author.email)
    page.goto(study_url)
    feedback = page.text_content("#feedback")
    assert "Add the date of the final vote." in feedback
    assert "How many evictions were avoided?" in feedback
    page.click("button[data-event=resubmit]")
    page.wait_for_load_state()
    assert "Write a response to every feedback item" in page.text_content(".flashes")
    responses = page.locator("#feedback textarea")
    assert responses.count() == 2
    for i in range(2):
        responses.nth(i).fill(f"Done: response {i + 1}.")
    page.click("#feedback button[type=submit]")
    page.wait_for_load_state()
    assert "Every item has a response" in page.text_content(".flashes")
    page.click("button[data-event=resubmit]")
    page.wait_for_load_state()
    assert "the study is now submitted" in page.text_content(".flashes")
    assert state_of(study.id) == StudyState.submitted
    sign_out(page)

    browser_login(first.email)
    page.goto(review_url)
    assert "Done: response 1." in page.text_content("#responses")
    review(page, review_url, "approve")
    sign_out(page)
    browser_login(second.email)
    review(page, review_url, "approve")
    assert state_of(study.id) == StudyState.in_affirmation

    page.goto(study_url)
    history = page.text_content("#history")
    for words in ("Submitted", "Round decided", "Resubmitted", "In network affirmation"):
        assert words in history


def test_decline_and_withdraw_ask_for_confirmation(live_server, page, browser_login):
    pillar = db.session.scalar(sa.select(Pillar).order_by(Pillar.position))
    pillar.review_quorum = 1
    db.session.commit()
    author = person("author@example.org", "Ada Author")
    chair = person("chair@example.org", "Cy Chair", pillar)
    declined = complete_study(author, pillar, title="To be declined")
    kept = complete_study(author, pillar, title="To be withdrawn")
    for study in (declined, kept):
        workflow.apply(study, "submit", author)
    db.session.commit()

    browser_login(chair.email)
    page.goto(f"{live_server.url}/cochair/studies/{declined.id}")
    page.check("input[name=recommendation][value=decline]")
    page.fill("#overall", "Out of scope for this pillar.")
    page.once("dialog", lambda dialog: dialog.dismiss())
    page.click("button[name=action][value=save]")
    assert state_of(declined.id) == StudyState.submitted
    page.once("dialog", lambda dialog: dialog.accept())
    page.click("button[name=action][value=save]")
    page.wait_for_load_state()
    assert state_of(declined.id) == StudyState.declined
    sign_out(page)

    browser_login(author.email)
    page.goto(f"{live_server.url}/studies/{kept.id}")
    page.click("summary:has-text('Withdraw')")
    assert "Reviewers stop working on it" in page.text_content(".confirm-step")
    page.click("button:has-text('Yes, withdraw')")
    page.wait_for_load_state()
    assert state_of(kept.id) == StudyState.withdrawn
    assert "the study is now withdrawn" in page.text_content(".flashes")
