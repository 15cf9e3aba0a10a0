"""The foundation's first proofs: the app starts, signs people in and mails through the queue."""

import sqlalchemy as sa

from models import Login, Notification
from models.base import db
from models.enums import NotificationStatus
from tests.conftest import parts, wait_until


def test_home_lists_the_five_pillars(client):
    response = client.get("/")
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    for name in ("Reimagine Public Budgets", "Reimagine Our Democracy"):
        assert name in body
    assert "Content-Security-Policy" in response.headers


def test_sign_in_and_out_revokes_the_copied_cookie(app, client, make_user, login_as):
    user = make_user()
    login_as(user)
    copied = client.get_cookie("session").value
    assert "Sign out" in client.get("/").get_data(as_text=True)
    client.post("/auth/logout")
    assert db.session.scalar(sa.select(sa.func.count(Login.token))) == 0
    other = app.test_client()
    other.set_cookie("session", copied)
    assert "Sign out" not in other.get("/").get_data(as_text=True)


def test_password_reset_arrives_through_the_real_worker(rq_app, worker, smtp, make_user):
    user = make_user()
    client = rq_app.test_client()
    client.post("/auth/reset", data={"email": user.email.upper()})
    message = smtp.wait_for(1)[0]
    text, html = parts(message)
    assert "/auth/reset/" in text and "/auth/reset/" in html
    link = next(w for w in text.split() if "/auth/reset/" in w)
    path = link.split("reimagine.test", 1)[1]
    row = wait_until(
        lambda: db.session.scalar(
            sa.select(Notification).where(Notification.status == NotificationStatus.sent)
        )
    )
    assert message["Message-ID"] == row.message_id
    response = client.post(
        path, data={"password": "a brand new pass", "confirm": "a brand new pass"}
    )
    assert response.status_code == 302
    # the link is single-use
    assert client.get(path).status_code == 302
