"""Every account flow: sign in and out, remember me, reset, invitation, request access, the
account page (profile, email, password), the sign-in rate limit and CSRF."""

import re
import time

import pytest
import sqlalchemy as sa

from models import AccessRequest, Login, Notification, RescuedForm, User
from models.base import db
from models.enums import AccessRequestStatus, UserKind
from review import accounts
from review.infra.passwords import verify_password
from tests.conftest import PASSWORD, parts

NEW_PASSWORD = "a brand new passphrase"


def body(response) -> str:
    return response.get_data(as_text=True)


def signed_in(client) -> bool:
    return "Sign out" in body(client.get("/"))


def logins(user) -> int:
    return db.session.scalar(sa.select(sa.func.count()).where(Login.user_id == user.id))


def link_in(message, marker: str) -> str:
    """Return the path of the first link containing `marker` in both parts of an email."""
    text, html = parts(message)
    assert marker in html
    url = next(w for w in text.split() if marker in w)
    return url.split("reimagine.test", 1)[1]


# ---------------------------------------------------------------- sign in and out


def test_wrong_password_is_refused_and_names_the_field(client, make_user):
    user = make_user()
    response = client.post("/auth/login", data={"email": user.email, "password": "not it at all"})
    assert response.status_code == 200
    assert "Password: The email or the password is not right." in body(response)
    assert user.email in body(response)  # what was typed stays
    assert logins(user) == 0
    assert not signed_in(client)


def test_unknown_email_gets_the_same_answer(client):
    response = client.post("/auth/login", data={"email": "nobody@example.org", "password": "x"})
    assert response.status_code == 200
    assert "The email or the password is not right." in body(response)


def test_inactive_person_cannot_sign_in(client, make_user):
    user = make_user(is_active=False)
    response = client.post("/auth/login", data={"email": user.email, "password": PASSWORD})
    assert response.status_code == 200
    assert not signed_in(client)


def test_email_is_case_insensitive_and_next_stays_on_site(client, make_user):
    user = make_user()
    response = client.post(
        "/auth/login?next=/account/", data={"email": user.email.upper(), "password": PASSWORD}
    )
    assert response.headers["Location"] == "/account/"
    client.post("/auth/logout")
    response = client.post(
        "/auth/login?next=//evil.example/x", data={"email": user.email, "password": PASSWORD}
    )
    assert response.headers["Location"] == "/"


def test_deactivated_person_is_signed_out_at_once(client, make_user, login_as):
    user = make_user()
    login_as(user)
    user.is_active = False
    db.session.commit()
    assert not signed_in(client)


def test_remember_me_survives_the_session_and_dies_at_sign_out(app, client, make_user):
    user = make_user()
    response = client.post(
        "/auth/login", data={"email": user.email, "password": PASSWORD, "remember": "y"}
    )
    cookies = response.headers.getlist("Set-Cookie")
    remember = next(c for c in cookies if c.startswith("remember_token="))
    for cookie in cookies:
        assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
        assert "Secure" not in cookie  # only in production
    token = client.get_cookie("remember_token").value

    browser_restarted = app.test_client()  # no session cookie, only the remembered one
    browser_restarted.set_cookie("remember_token", token)
    assert signed_in(browser_restarted)

    client.post("/auth/logout")
    replay = app.test_client()
    replay.set_cookie("remember_token", token)
    assert not signed_in(replay)
    assert remember  # the cookie was set with the sign-in


def test_copied_session_cookie_stops_working_after_sign_out(app, client, make_user, login_as):
    login_as(make_user())
    copied = client.get_cookie("session").value
    response = client.post("/auth/logout")
    assert response.status_code == 302
    other = app.test_client()
    other.set_cookie("session", copied)
    assert not signed_in(other)
    assert other.get("/account/").status_code == 302


def test_sign_out_is_post_only(client, make_user, login_as):
    login_as(make_user())
    assert client.get("/auth/logout").status_code == 405
    assert signed_in(client)


# ---------------------------------------------------------------- password reset


def test_reset_request_for_unknown_address_says_the_same_and_sends_nothing(client, smtp):
    response = client.post(
        "/auth/reset", data={"email": "ghost@example.org"}, follow_redirects=True
    )
    assert "If that address has an account" in body(response)
    assert db.session.scalar(sa.select(sa.func.count(Notification.id))) == 0
    assert smtp.messages == []


def test_reset_link_sets_the_password_once_and_ends_other_sessions(app, client, make_user, smtp):
    user = make_user()
    elsewhere = app.test_client()
    elsewhere.post("/auth/login", data={"email": user.email, "password": PASSWORD})
    assert signed_in(elsewhere)

    client.post("/auth/reset", data={"email": user.email})
    path = link_in(smtp.wait_for(1)[0], "/auth/reset/")
    assert client.get(path).status_code == 200
    response = client.post(path, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert response.headers["Location"] == "/auth/login"
    db.session.refresh(user)
    assert verify_password(user.password_hash, NEW_PASSWORD)
    assert not signed_in(elsewhere)

    reused = client.post(path, data={"password": "yet another one", "confirm": "yet another one"})
    assert reused.status_code == 302 and "/auth/reset" in reused.headers["Location"]
    follow = client.get(reused.headers["Location"])
    assert "already been used" in body(follow)
    db.session.refresh(user)
    assert verify_password(user.password_hash, NEW_PASSWORD)


def test_expired_reset_link_is_refused(client, make_user, monkeypatch):
    user = make_user()
    signed_two_hours_ago = time.time() - 2 * 3600  # the limit is one hour
    with monkeypatch.context() as m:
        m.setattr("itsdangerous.timed.time.time", lambda: signed_two_hours_ago)
        token = accounts.make_token("reset", user)
    response = client.post(
        f"/auth/reset/{token}", data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD}
    )
    assert response.status_code == 302
    assert "expired" in body(client.get(response.headers["Location"]))
    db.session.refresh(user)
    assert verify_password(user.password_hash, PASSWORD)


def test_tampered_reset_link_is_refused(client, make_user):
    token = accounts.make_token("reset", make_user())
    response = client.get(f"/auth/reset/{token[:-2]}xx", follow_redirects=True)
    assert "not valid" in body(response)


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("short12", "Use at least 8 characters."),
        ("x" * 129, "Use at most 128 characters."),
        ("password1", "This password is one of the most common"),
    ],
)
def test_reset_refuses_weak_passwords(client, make_user, password, message):
    user = make_user()
    token = accounts.make_token("reset", user)
    response = client.post(f"/auth/reset/{token}", data={"password": password, "confirm": password})
    assert response.status_code == 200
    assert f"New password: {message}" in body(response)
    db.session.refresh(user)
    assert verify_password(user.password_hash, PASSWORD)


def test_reset_with_different_confirmation_names_the_field(client, make_user):
    token = accounts.make_token("reset", make_user())
    response = client.post(
        f"/auth/reset/{token}", data={"password": NEW_PASSWORD, "confirm": "something else"}
    )
    assert "Repeat the new password: The two passwords differ." in body(response)


def test_exactly_128_characters_are_accepted(client, make_user):
    user = make_user()
    token = accounts.make_token("reset", user)
    password = "correct horse " * 9 + "ab"
    assert len(password) == 128
    response = client.post(f"/auth/reset/{token}", data={"password": password, "confirm": password})
    assert response.status_code == 302
    db.session.refresh(user)
    assert verify_password(user.password_hash, password)


# ---------------------------------------------------------------- invitations and requests


def test_invitation_sets_name_and_password_and_signs_in(client, make_user, smtp):
    staff = make_user("staff")
    invited = accounts.invite(
        email="New.Person@Example.org", name="New Person", kind=UserKind.partner, invited_by=staff
    )
    db.session.commit()
    assert invited.email == "new.person@example.org" and not invited.has_password
    message = smtp.wait_for(1)[0]
    assert message["To"] == "new.person@example.org"
    path = link_in(message, "/auth/invite/")
    assert "New Person" in body(client.get(path))

    response = client.post(
        path, data={"name": "Renée Person", "password": NEW_PASSWORD, "confirm": NEW_PASSWORD}
    )
    assert response.status_code == 302
    assert signed_in(client)
    db.session.refresh(invited)
    assert invited.name == "Renée Person"
    assert verify_password(invited.password_hash, NEW_PASSWORD)
    # accepted once: the link now sends the person to sign in
    client.post("/auth/logout")
    again = client.get(path)
    assert again.status_code == 302 and again.headers["Location"].startswith("/auth/login")


def test_invitation_with_common_password_is_refused(client, make_user):
    invited = accounts.invite(
        email="p@example.org", name="P", kind=UserKind.member, invited_by=None
    )
    db.session.commit()
    token = accounts.make_token("invite", invited)
    response = client.post(
        f"/auth/invite/{token}", data={"name": "P", "password": "iloveyou", "confirm": "iloveyou"}
    )
    assert response.status_code == 200
    assert "New password: This password is one of the most common" in body(response)
    assert not signed_in(client)


def test_request_access_is_saved_for_staff(client):
    response = client.post(
        "/auth/request-access",
        data={
            "name": " Ana Ruiz ",
            "email": "Ana@Example.ORG",
            "kind": "member",
            "office": "Council Member",
            "jurisdiction": "Tucson",
            "us_state": "AZ",
            "message": "I co-sponsored the tenant ordinance.",
        },
    )
    assert response.status_code == 302
    row = db.session.scalar(sa.select(AccessRequest))
    assert (row.email, row.name, row.kind, row.us_state) == (
        "ana@example.org",
        "Ana Ruiz",
        UserKind.member,
        "AZ",
    )
    assert row.status == AccessRequestStatus.pending


def test_approving_a_request_invites_the_person(app, make_user, smtp):
    staff = make_user("staff")
    row = AccessRequest(email="b@example.org", name="B", kind=UserKind.member, us_state="OR")
    db.session.add(row)
    db.session.commit()
    user = accounts.decide_access_request(row, staff, approve=True)
    db.session.commit()
    assert user.us_state == "OR" and row.status == AccessRequestStatus.approved
    assert smtp.wait_for(1)[0]["To"] == "b@example.org"
    with pytest.raises(accounts.AccountError):
        accounts.decide_access_request(row, staff, approve=False)


# ---------------------------------------------------------------- the account page


def test_account_page_shows_and_saves_the_profile(client, make_user, login_as):
    user = make_user(office="Council Member", jurisdiction="Ithaca", us_state="NY")
    login_as(user)
    page = body(client.get("/account/"))
    assert user.email in page and 'value="Ithaca"' in page
    response = client.post(
        "/account/",
        data={
            "name": "Hannah S.",
            "office": "Mayor",
            "jurisdiction": "Ithaca",
            "us_state": "NY",
            "organisation": "",
        },
    )
    assert response.status_code == 302
    db.session.refresh(user)
    assert (user.name, user.office, user.us_state) == ("Hannah S.", "Mayor", "NY")


def test_profile_errors_name_the_field_and_keep_the_text(client, make_user, login_as):
    login_as(make_user())
    response = client.post(
        "/account/", data={"name": "", "office": "Alder of the Fifth Ward", "us_state": "ZZ"}
    )
    page = body(response)
    assert "Name: This field is required." in page
    assert "State: Not a valid choice." in page
    assert "Alder of the Fifth Ward" in page


def test_change_email_is_verified_by_a_link_to_the_new_address(
    app, client, make_user, login_as, smtp
):
    user = make_user()
    old = user.email
    login_as(user)
    response = client.post(
        "/account/email",
        data={"email-new_email": "Moved@Example.org", "email-current_password": PASSWORD},
    )
    assert response.status_code == 302
    db.session.refresh(user)
    assert user.email == old  # nothing changes until the link is followed
    message = smtp.wait_for(1)[0]
    assert message["To"] == "moved@example.org"
    path = link_in(message, "/account/email/")

    anonymous = app.test_client()  # the link works in any browser: the token is the proof
    assert "moved@example.org" in body(anonymous.get(path))
    assert anonymous.post(path).status_code == 302
    db.session.refresh(user)
    assert user.email == "moved@example.org"
    # used once
    assert "already been used" in body(anonymous.get(path, follow_redirects=True))
    fresh = app.test_client()
    response = fresh.post("/auth/login", data={"email": "moved@example.org", "password": PASSWORD})
    assert response.status_code == 302


def test_change_email_refuses_wrong_password_and_taken_address(client, make_user, login_as, smtp):
    user = make_user()
    other = make_user()
    login_as(user)
    response = client.post(
        "/account/email",
        data={"email-new_email": "new@example.org", "email-current_password": "wrong one"},
    )
    assert "Your current password: The current password is not right." in body(response)
    assert "new@example.org" in body(response)
    response = client.post(
        "/account/email",
        data={"email-new_email": other.email.upper(), "email-current_password": PASSWORD},
    )
    assert "New email address: That email address belongs to another account." in body(response)
    response = client.post(
        "/account/email", data={"email-new_email": "not an email", "email-current_password": "x"}
    )
    assert "New email address: Invalid email address." in body(response)
    assert db.session.scalar(sa.select(sa.func.count(Notification.id))) == 0


def pw(current: str, new: str, confirm: str | None = None) -> dict:
    return {
        "pw-current_password": current,
        "pw-password": new,
        "pw-confirm": new if confirm is None else confirm,
    }


def test_change_password_keeps_this_session_and_ends_the_others(app, client, make_user, login_as):
    user = make_user()
    login_as(user)
    elsewhere = app.test_client()
    elsewhere.post("/auth/login", data={"email": user.email, "password": PASSWORD})
    response = client.post("/account/password", data=pw(PASSWORD, NEW_PASSWORD))
    assert response.status_code == 302
    db.session.refresh(user)
    assert verify_password(user.password_hash, NEW_PASSWORD)
    assert signed_in(client)
    assert not signed_in(elsewhere)
    assert logins(user) == 1


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (pw("wrong", NEW_PASSWORD), "Current password: The current password is not right."),
        (pw(PASSWORD, "qwertyuiop"), "New password: This password is one of the most common"),
        (pw(PASSWORD, "abcd123"), "New password: Use at least 8 characters."),
        (pw(PASSWORD, "y" * 129), "New password: Use at most 128 characters."),
        (pw(PASSWORD, NEW_PASSWORD, "other"), "Repeat the new password: The two passwords differ."),
        (pw("", ""), "Current password: This field is required."),
    ],
)
def test_change_password_refusals_name_the_field(client, make_user, login_as, data, message):
    user = make_user()
    login_as(user)
    response = client.post("/account/password", data=data)
    assert response.status_code == 200
    assert message in body(response)
    db.session.refresh(user)
    assert verify_password(user.password_hash, PASSWORD)


# ---------------------------------------------------------------- rate limit


def test_sign_in_is_rate_limited_with_a_readable_page(app_factory, make_user):
    app = app_factory(LOGIN_RATE_LIMIT="3 per minute")
    client = app.test_client()
    user = make_user()
    for _ in range(3):
        client.post("/auth/login", data={"email": user.email, "password": "wrong guess"})
    response = client.post("/auth/login", data={"email": user.email, "password": PASSWORD})
    assert response.status_code == 429
    page = body(response)
    assert "Too many attempts" in page and "<main" in page
    assert response.headers.get("Retry-After")
    assert client.get("/auth/login").status_code == 200  # reading the form is not limited


def test_rate_limit_counts_in_redis_and_survives_redis_going_down(
    app_factory, make_user, redis_url, redis_server
):
    import redis

    app = app_factory(REDIS_URL=redis_url, LOGIN_RATE_LIMIT="5 per minute")
    assert app.config["RATELIMIT_STORAGE_URI"] == redis_url
    client = app.test_client()
    user = make_user()
    client.post("/auth/login", data={"email": user.email, "password": "wrong guess"})
    assert any(b"LIMIT" in key for key in redis.Redis.from_url(redis_url).keys("*"))

    redis_server.stop()
    try:
        response = client.post("/auth/login", data={"email": user.email, "password": PASSWORD})
        assert response.status_code == 302  # Redis down: people still sign in
    finally:
        redis_server.start()


# ---------------------------------------------------------------- CSRF


@pytest.fixture
def csrf_client(app, app_factory):
    return app_factory(WTF_CSRF_ENABLED=True).test_client()


def csrf_token(page: str) -> str:
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page)[1]


@pytest.mark.parametrize("token", [None, "not-the-token"])
def test_request_access_without_valid_csrf_keeps_what_was_typed(csrf_client, token):
    typed = {
        "name": "Imani Wright",
        "email": "imani@example.org",
        "kind": "member",
        "office": "Council Member",
        "jurisdiction": "New Orleans",
        "us_state": "LA",
        "message": "A long note I do not want to type twice.",
    }
    if token:
        typed["csrf_token"] = token
    response = csrf_client.post("/auth/request-access", data=typed)
    assert response.status_code == 302
    assert response.headers["Location"] == "/auth/request-access"
    assert db.session.scalar(sa.select(sa.func.count(AccessRequest.id))) == 0

    page = body(csrf_client.get("/auth/request-access"))
    assert "Everything you typed is below" in page
    assert 'value="Imani Wright"' in page and "A long note I do not want to type twice." in page
    assert '<option selected value="LA">' in page
    assert db.session.scalar(sa.select(sa.func.count(RescuedForm.token))) == 0  # handed back once

    # the refilled form, now with its fresh token, is accepted
    typed["csrf_token"] = csrf_token(page)
    assert csrf_client.post("/auth/request-access", data=typed).status_code == 302
    assert db.session.scalar(sa.select(AccessRequest.name)) == "Imani Wright"


def test_login_without_csrf_is_refused_and_the_password_is_not_kept(csrf_client, make_user):
    user = make_user()
    response = csrf_client.post("/auth/login", data={"email": user.email, "password": PASSWORD})
    assert response.status_code == 302
    assert not signed_in(csrf_client)
    rows = db.session.scalars(sa.select(RescuedForm)).all()
    assert [dict(r.fields) for r in rows] == [{"email": user.email}]
    page = body(csrf_client.get("/auth/login"))
    assert f'value="{user.email}"' in page


def test_account_forms_refuse_posts_without_csrf(csrf_client, make_user):
    user = make_user()
    page = body(csrf_client.get("/auth/login"))
    csrf_client.post(
        "/auth/login",
        data={"email": user.email, "password": PASSWORD, "csrf_token": csrf_token(page)},
    )
    assert signed_in(csrf_client)
    response = csrf_client.post(
        "/account/password",
        data=pw(PASSWORD, NEW_PASSWORD),
        headers={"Referer": "http://localhost/account/"},
    )
    assert response.status_code in (302, 400)
    db.session.refresh(user)
    assert verify_password(user.password_hash, PASSWORD)
    response = csrf_client.post(
        "/account/", data={"name": "Changed Name"}, headers={"Referer": "http://localhost/account/"}
    )
    assert response.headers["Location"] == "/account/"
    page = body(csrf_client.get("/account/"))
    assert 'value="Changed Name"' in page  # kept, for the person to save again
    db.session.refresh(user)
    assert user.name != "Changed Name"
    # sign-out needs the token too
    assert csrf_client.post("/auth/logout").status_code in (302, 400)
    assert signed_in(csrf_client)


def test_csrf_token_lasts_a_working_day(app):
    assert app.config["WTF_CSRF_TIME_LIMIT"] >= 8 * 3600


def test_users_are_unique_case_insensitively(app):
    accounts.create_user(email="Same@Example.org", name="One")
    db.session.commit()
    with pytest.raises(accounts.AccountError):
        accounts.create_user(email="SAME@example.org", name="Two")
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count(User.id))) == 1
