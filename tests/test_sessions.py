"""Sign-in sessions end: idle timeout and absolute lifetime for the session cookie and the
remember cookie alike; the sweep purges ended sessions and old rescued forms; a person sees
and ends their other sessions on /account/."""

from datetime import timedelta

import sqlalchemy as sa

from models import Login, RescuedForm
from models.base import db
from models.clock import utcnow
from tests.conftest import PASSWORD
from workers import sweep


def _age(user, **ages) -> None:
    now = utcnow()
    values = {k: now - v for k, v in ages.items()}
    db.session.execute(sa.update(Login).where(Login.user_id == user.id).values(**values))
    db.session.commit()


def _signed_in(client) -> bool:
    return client.get("/account/").status_code == 200


def test_an_idle_or_too_old_session_no_longer_signs_in(app, client, make_user, login_as):
    user = make_user()
    login_as(user)
    assert _signed_in(client)
    _age(user, last_seen_at=timedelta(days=14, minutes=1))
    assert not _signed_in(client)

    login_as(user)
    _age(user, created_at=timedelta(days=90, minutes=1), last_seen_at=timedelta(0))
    assert not _signed_in(client)


def test_the_remember_cookie_ends_with_its_session(app, client, make_user):
    user = make_user()
    response = client.post(
        "/auth/login", data={"email": user.email, "password": PASSWORD, "remember": "y"}
    )
    cookie = next(c for c in response.headers.getlist("Set-Cookie") if "remember_token" in c)
    assert "Max-Age=7776000" in cookie or "Expires=" in cookie  # 90 days
    client.delete_cookie("session")
    assert _signed_in(client)  # the remember cookie alone signs in
    client.delete_cookie("session")
    _age(user, last_seen_at=timedelta(days=15))
    assert not _signed_in(client)


def test_use_is_recorded_at_most_every_few_minutes(app, client, make_user, login_as):
    user = make_user()
    login_as(user)
    _age(user, last_seen_at=timedelta(minutes=10))
    client.get("/account/")
    seen = db.session.scalar(sa.select(Login.last_seen_at).where(Login.user_id == user.id))
    assert utcnow() - seen < timedelta(minutes=1)


def test_the_sweep_purges_ended_sessions_and_old_rescued_forms(app, make_user):
    user = make_user()
    now = utcnow()
    db.session.add_all(
        [
            Login(user_id=user.id, created_at=now, last_seen_at=now, token="live"),
            Login(
                user_id=user.id,
                created_at=now - timedelta(days=20),
                last_seen_at=now - timedelta(days=15),
                token="idle",
            ),
            Login(
                user_id=user.id, created_at=now - timedelta(days=91), last_seen_at=now, token="old"
            ),
            RescuedForm(path="/a", fields=[["x", "y"]], created_at=now, token="fresh"),
            RescuedForm(
                path="/b", fields=[["x", "y"]], created_at=now - timedelta(days=15), token="stale"
            ),
        ]
    )
    db.session.commit()
    report = sweep.sweep()
    assert report["expired_sessions"] == 2 and report["expired_rescued_forms"] == 1
    assert db.session.scalars(sa.select(Login.token)).all() == ["live"]
    assert db.session.scalars(sa.select(RescuedForm.token)).all() == ["fresh"]


def test_a_person_sees_and_ends_their_other_sessions(app, make_user):
    user = make_user()
    here, there = app.test_client(), app.test_client()
    for client, agent in ((there, "Firefox on the office PC"), (here, "Chromium at home")):
        client.post(
            "/auth/login",
            data={"email": user.email, "password": PASSWORD},
            headers={"User-Agent": agent},
        )
    page = here.get("/account/").get_data(as_text=True)
    assert "Firefox on the office PC" in page and "This browser" in page
    other = db.session.scalar(
        sa.select(Login).where(Login.user_agent == "Firefox on the office PC")
    )
    from review.infra.sessions import handle

    response = here.post(f"/account/sessions/{handle(other)}/end")
    assert response.status_code == 302
    assert not _signed_in(there) and _signed_in(here)
    assert "Firefox on the office PC" not in here.get("/account/").get_data(as_text=True)
    # A name that is not one of the person's sessions ends nothing.
    assert here.post("/account/sessions/0123456789abcdef/end").status_code == 302
    assert _signed_in(here)
