"""In the field, in Chromium: an author never loses a character, and a co-chair on a phone
records a review with three feedback items without the page jumping back to the top."""

import pytest
import sqlalchemy as sa

from models import Pillar
from models.base import db
from models.enums import UserKind
from review import workflow
from tests.conftest import PASSWORD, user_maker
from tests.factories import complete_study

pytestmark = pytest.mark.browser
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}


def _sign_in(page, base, user):
    page.goto(base + "/auth/login")
    page.fill("#email", user.email)
    page.fill("#password", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_load_state()


def test_autosave_keeps_a_bad_date_and_long_outcomes_and_warns_before_leaving(live_server, page):
    author = user_maker()(UserKind.member)
    study = complete_study(author)
    _sign_in(page, live_server.url, author)
    page.goto(f"{live_server.url}/studies/{study.id}/edit")
    outcomes = "Evictions fell. " * 125  # 2,000 characters
    page.fill("#timeline-0-date", "Junetember 2022")
    page.fill("#outcomes_md", outcomes)
    page.wait_for_function(
        "() => document.querySelector('#save-status').textContent.startsWith('Kept')"
    )
    assert "timeline" in page.text_content("#save-status").lower()
    page.reload()
    assert page.input_value("#outcomes_md") == outcomes
    assert page.input_value("#timeline-0-date") == "Junetember 2022"
    assert page.get_attribute("#timeline-0-date", "aria-invalid") == "true"
    assert "Date: Write the date as" in page.text_content(".error-summary")
    assert "CSRF" not in page.text_content(".error-summary")

    # Fixing the date saves everything to the study, as people write dates.
    page.fill("#timeline-0-date", "June 2022")
    page.wait_for_selector("#save-status.save-ok")
    db.session.expire_all()
    assert study.outcomes_md == outcomes and study.timeline[0].month == 6

    # Text typed (real key presses) and not yet kept: leaving the page asks first.
    page.click("#lessons_md")
    page.keyboard.type("Not kept yet")
    with page.expect_event("dialog") as prompt:
        page.close(run_before_unload=True)
    assert prompt.value.type == "beforeunload"
    prompt.value.dismiss()


def test_a_cochair_on_a_phone_drafts_then_records_three_items_in_place(browser, live_server):
    make = user_maker()
    pillar = db.session.scalar(sa.select(Pillar).order_by(Pillar.position))
    pillar.review_quorum = 1
    chair = make(UserKind.member, cochair_of=pillar)
    author = make(UserKind.member)
    study = complete_study(author, pillar)
    workflow.apply(study, "submit", author)
    db.session.commit()

    context = browser.new_context(**PHONE)
    page = context.new_page()
    page.set_default_timeout(15_000)
    _sign_in(page, live_server.url, chair)
    page.goto(f"{live_server.url}/cochair/studies/{study.id}")
    page.click("text=Jump to my review")
    assert page.evaluate("window.scrollY") > 0
    page.check("input[name=recommendation][value=request_changes]")
    page.fill("#overall", "Half-written")
    page.click("button[value=draft]")
    page.wait_for_load_state()
    assert page.evaluate("window.scrollY") > 0 and "Your draft is saved" in page.content()
    db.session.expire_all()
    assert study.state.value == "submitted"  # a draft is not a review

    page.goto(f"{live_server.url}/cochair/studies/{study.id}")
    assert page.input_value("#overall") == "Half-written"
    bodies = ["Add the date it took effect.", "Give first-year numbers.", "Name the funder."]
    for n, body in enumerate(bodies):
        page.select_option(f"#items-{n}-section", "outcomes")
        page.fill(f"#items-{n}-body", body)
        if n < len(bodies) - 1:
            page.click("button[value=add_item]")
            page.wait_for_selector(f"#items-{n + 1}-body")
            assert page.evaluate("window.scrollY") > 0, "the page jumped to the top"
            assert page.input_value(f"#items-{n}-body") == body
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.fill("#overall", "Strong story; it needs numbers.")
    page.click("button[value=save].primary")
    page.wait_for_load_state()
    assert page.evaluate("window.scrollY") > 0 or "#review" in page.url
    db.session.expire_all()
    assert study.state.value == "changes_requested"
    context.close()
