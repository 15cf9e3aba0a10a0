"""Authoring in a real browser: autosave, nothing lost on expiry, and Markdown that stays inert."""

import pytest
import sqlalchemy as sa

from models import CaseStudy, User
from models.base import db
from models.clock import utcnow
from models.enums import MARKDOWN_SECTIONS, UserKind
from review.infra.markdown import render
from tests.conftest import _PASSWORD_HASH, PASSWORD
from tests.factories import complete_study
from tests.test_authoring import XSS, XSS_TEXT


def member(email: str = "writer@example.org", kind=UserKind.member) -> User:
    user = User(
        email=email,
        name="Wanda Writer",
        kind=kind,
        password_hash=_PASSWORD_HASH,
        created_at=utcnow(),
    )
    db.session.add(user)
    db.session.commit()
    return user


def saved_overview(study_id: int) -> str:
    db.session.expire_all()
    return db.session.get(CaseStudy, study_id).overview_md


def test_autosave_then_reload_keeps_the_text(live_server, page, browser_login):
    author = member()
    study = complete_study(author)
    browser_login(author.email)
    page.goto(f"{live_server.url}/studies/{study.id}/edit")
    page.fill("#overview_md", "Typed in the browser, never saved by hand.")
    page.wait_for_selector("#save-status.save-ok")
    assert page.text_content("#save-status").startswith("Saved ")
    page.reload()
    assert page.input_value("#overview_md") == "Typed in the browser, never saved by hand."
    assert saved_overview(study.id) == "Typed in the browser, never saved by hand."
    # A second autosave carries the version the first one returned: no false conflict.
    page.fill("#summary", "A second change.")
    page.wait_for_selector("#save-status.save-ok")
    page.reload()
    assert page.input_value("#summary") == "A second change."


def test_rows_are_edited_in_place_with_javascript(live_server, page, browser_login):
    author = member()
    study = complete_study(author)
    browser_login(author.email)
    page.goto(f"{live_server.url}/studies/{study.id}/edit")
    page.click("button[data-add-row=timeline]")
    rows = page.locator("ol[data-rows=timeline] li[data-row]")
    last = rows.count() - 1
    page.fill(f"#timeline-{last}-date", "2020-01")
    page.fill(f"#timeline-{last}-description", "Earliest meeting")
    page.wait_for_selector("#save-status.save-ok")
    # Move the new event to the top by pressing "Up" until it is first.
    for i in range(last, 0, -1):
        page.click(f"button[value='up:timeline:{i}']")
    page.wait_for_selector("#save-status.save-ok")
    page.wait_for_function(
        "() => document.querySelector('#save-status').textContent.startsWith('Saved')"
    )
    page.reload()
    assert page.input_value("#timeline-0-description") == "Earliest meeting"
    page.click("button[value='remove:timeline:0']")
    page.wait_for_selector("#save-status.save-ok")
    page.reload()
    assert page.input_value("#timeline-0-description") == "Tenant union forms"


def _sign_in_again(page, email):
    page.wait_for_url("**/auth/login**")
    page.fill("#email", email)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/edit*")


def test_expired_session_during_autosave_keeps_the_text(live_server, page, browser_login):
    author = member()
    study = complete_study(author)
    browser_login(author.email)
    page.goto(f"{live_server.url}/studies/{study.id}/edit")
    page.context.clear_cookies()  # the session expired while the person was typing
    page.fill("#overview_md", "Words written after the session ended.")
    page.wait_for_selector("#save-status.save-error")
    assert "Your text is still here" in page.text_content("#save-status")
    assert page.input_value("#overview_md") == "Words written after the session ended."
    page.fill("#lessons_md", "And a little more, typed after the warning.")
    page.click("#resend")
    _sign_in_again(page, author.email)
    assert page.input_value("#overview_md") == "Words written after the session ended."
    assert page.input_value("#lessons_md") == "And a little more, typed after the warning."
    page.click("button.primary[value=save]")
    page.wait_for_selector(".flash-success")
    assert saved_overview(study.id) == "Words written after the session ended."


def test_signed_out_in_another_tab_then_save_keeps_the_text(live_server, page, browser_login):
    author = member()
    study = complete_study(author)
    browser_login(author.email)
    page.goto(f"{live_server.url}/studies/{study.id}/edit")
    other = page.context.new_page()
    other.goto(live_server.url + "/")
    other.click("header .who button")  # Sign out
    other.close()
    page.evaluate("document.querySelector('form[data-autosave]').removeAttribute('data-autosave')")
    page.fill("#overview_md", "Saved with the button after signing out elsewhere.")
    page.click("button.primary[value=save]")
    _sign_in_again(page, author.email)
    assert page.input_value("#overview_md") == "Saved with the button after signing out elsewhere."


@pytest.mark.parametrize("with_javascript", [True, False])
def test_expired_csrf_token_keeps_the_text(live_server, browser, live_app, with_javascript):
    author = member()
    study = complete_study(author)
    context = browser.new_context(java_script_enabled=with_javascript)
    page = context.new_page()
    page.set_default_timeout(10_000)
    try:
        page.goto(live_server.url + "/auth/login")
        page.fill("#email", author.email)
        page.fill("#password", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_load_state()
        page.goto(f"{live_server.url}/studies/{study.id}/edit")
        # The token the page carries is no longer valid (as after WTF_CSRF_TIME_LIMIT).
        # Playwright reaches the DOM even when the page's own scripts are off.
        page.locator("#study-form input[name=csrf_token]").evaluate(
            "el => el.value = 'expired-token'"
        )
        page.fill("#overview_md", "Text typed on a page left open overnight.")
        if with_javascript:
            page.wait_for_selector("#save-status.save-error")
            page.click("#resend")
        else:
            page.click("button.primary[value=save]")
        page.wait_for_selector(".flash-warning")
        assert "Everything you typed is below" in page.text_content(".flash-warning")
        assert page.input_value("#overview_md") == "Text typed on a page left open overnight."
        page.click("button.primary[value=save]")
        page.wait_for_selector(".flash-success")
        assert saved_overview(study.id) == "Text typed on a page left open overnight."
    finally:
        context.close()


def test_markdown_payloads_do_not_run_in_a_browser(live_server, browser, live_app):
    author = member()
    fields = {f"{s.value}_md": XSS_TEXT for s in MARKDOWN_SECTIONS}
    fields.update({f"{s.value}_html": render(XSS_TEXT) for s in MARKDOWN_SECTIONS})
    study = complete_study(author, summary=XSS[0], **fields)
    study.links  # noqa: B018 - loaded while the session is open
    # Without the Content Security Policy, so that only the sanitiser stands in the way.
    context = browser.new_context(bypass_csp=True)
    page = context.new_page()
    page.set_default_timeout(10_000)
    dialogs = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    try:
        page.goto(live_server.url + "/auth/login")
        page.fill("#email", author.email)
        page.fill("#password", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_load_state()
        for path in ("", "/preview", "/edit"):
            page.goto(f"{live_server.url}/studies/{study.id}{path}")
            page.wait_for_load_state("load")
            assert page.evaluate("window.__xss") is None, path
            for link in page.locator(".prose a").all():
                href = (link.get_attribute("href") or "").strip().lower()
                assert href == "" or href.startswith(("http:", "https:", "mailto:")), href
            assert page.locator(".prose svg, .prose script, .prose img, .prose iframe").count() == 0
        # Clicking every link a payload made does not run anything either.
        page.goto(f"{live_server.url}/studies/{study.id}/preview")
        for link in page.locator(".prose a").all():
            link.click(modifiers=["Control"], no_wait_after=True)
        assert page.evaluate("window.__xss") is None
        assert dialogs == []
    finally:
        context.close()
    assert db.session.scalar(sa.select(sa.func.count(CaseStudy.id))) == 1


def test_two_coauthors_autosaving_at_once(live_server, browser, page, browser_login):
    first = member()
    second = member("second@example.org", UserKind.partner)
    study = complete_study(first, coauthors=[second])
    browser_login(first.email)
    page.goto(f"{live_server.url}/studies/{study.id}/edit")
    context = browser.new_context()
    other = context.new_page()
    other.set_default_timeout(10_000)
    try:
        other.goto(live_server.url + "/auth/login")
        other.fill("#email", second.email)
        other.fill("#password", PASSWORD)
        other.click("button[type=submit]")
        other.wait_for_load_state()
        other.goto(f"{live_server.url}/studies/{study.id}/edit")
        page.fill("#outcomes_md", "The first co-author's outcomes.")
        page.wait_for_selector("#save-status.save-ok")
        other.fill("#outcomes_md", "The second co-author's outcomes.")
        other.wait_for_selector("#save-status.save-error")
        assert "a co-author saved a newer version" in other.text_content("#save-status")
        other.click("button.primary[value=save]")
        other.wait_for_selector("#conflict")
        assert "first" in other.text_content("#conflict")
        assert "second" in other.text_content("#conflict")
        assert other.input_value("#outcomes_md") == "The second co-author's outcomes."
        assert saved_overview(study.id).startswith("We won")  # untouched by either
    finally:
        context.close()
