"""The staff console in a real browser: invite a member, who accepts and is signed in."""

import re

import sqlalchemy as sa

from models import User
from models.base import db
from models.clock import utcnow
from models.enums import UserKind
from tests.conftest import _PASSWORD_HASH, parts


def test_invite_a_member_who_accepts_and_signs_in(live_server, page, browser_login, smtp):
    boss = User(
        email="boss@example.org",
        name="Bea Boss",
        kind=UserKind.staff,
        password_hash=_PASSWORD_HASH,
        created_at=utcnow(),
    )
    db.session.add(boss)
    db.session.commit()
    browser_login(boss.email)
    page.goto(f"{live_server.url}/staff/")
    assert page.is_visible("svg.state-chart")
    page.click("text=People")
    page.click("text=Invite someone")
    page.fill("#name", "Nadia Newcomer")
    page.fill("#email", "nadia@example.org")
    page.select_option("#kind", "member")
    page.click("button:has-text('Send the invitation')")
    page.wait_for_selector("text=Invitation sent to nadia@example.org")

    [message] = smtp.wait_for(1)
    assert message["To"] == "nadia@example.org"
    text, html = parts(message)
    link = re.search(r"https?://\S+/auth/invite/\S+", text).group(0)
    assert link.startswith(live_server.url)

    # The invited member opens the link in their own browser.
    context = page.context.browser.new_context()
    try:
        invited = context.new_page()
        invited.set_default_timeout(10_000)
        invited.goto(link)
        assert invited.input_value("#name") == "Nadia Newcomer"
        invited.fill("#password", "a long enough password")
        invited.fill("#confirm", "a long enough password")
        invited.click("button:has-text('Create my account')")
        invited.wait_for_selector("text=Welcome to Dare to Reimagine, Nadia Newcomer")
        assert invited.text_content("header .who .name") == "Nadia Newcomer"
    finally:
        context.close()
    db.session.expire_all()
    user = db.session.scalar(sa.select(User).where(User.email == "nadia@example.org"))
    assert user.has_password and user.kind == UserKind.member

    # The staff member sees the email in the console, as sent.
    page.goto(f"{live_server.url}/staff/notifications?person=nadia")
    page.click("text=You are invited to Dare to Reimagine")
    assert "/auth/invite/" in page.text_content("pre.email-text")
    frame = page.frame_locator("iframe.email-html")
    assert frame.locator("a", has_text="/auth/invite/").count() >= 1
