"""Notifications: preferences, unsubscribe, digests, reminders, fan-out, delivery guarantees."""

from datetime import timedelta

import pytest
import sqlalchemy as sa

from models import (
    AffirmationWindow,
    CaseStudy,
    Notification,
    Pillar,
    Review,
    Round,
    User,
    moving_state,
)
from models.base import db
from models.clock import utcnow
from models.enums import (
    NetworkPreference,
    NotificationCategory,
    NotificationStatus,
    Recommendation,
    StudyState,
    UserKind,
)
from review import broadcasts, notify
from review.infra import queue
from tests.conftest import PASSWORD, parts
from tests.factories import complete_study
from workers import delivery, digest, fanout, mail
from workers.sweep import sweep


def network_note(people, key="e1"):
    """Write a plain network email (the kind of the pillar-follow announcement) to people."""
    rows = notify.notify(
        "newly_published",
        people,
        subject="Newly published",
        event_key=key,
        category=NotificationCategory.network,
        context={
            "path": "/library/x",
            "title": "Rent control",
            "pillar": "Reimagine Our Economy",
            "summary": "A summary.",
            "place": "Takoma Park, MD",
        },
    )
    db.session.commit()
    return rows


def action_note(people, key="a1"):
    rows = notify.notify(
        "password_reset",
        people,
        subject="Reset",
        event_key=key,
        category=NotificationCategory.account,
        context={"path": "/auth/reset/x", "name": "N"},
    )
    db.session.commit()
    return rows


def statuses() -> dict[str, NotificationStatus]:
    return {n.dedupe_key: n.status for n in db.session.scalars(sa.select(Notification))}


# ---------------------------------------------------------------- preferences


def test_off_stops_network_mail_but_not_account_mail(app, smtp, make_user):
    user = make_user(network_preference=NetworkPreference.off)
    network_note([user])
    action_note([user])
    [message] = smtp.wait_for(1)
    assert message["Subject"] == "Reset"
    assert db.session.scalar(sa.select(sa.func.count(Notification.id))) == 1


def test_daily_holds_network_mail_for_one_digest(app, smtp, make_user, monkeypatch):
    daily = make_user(network_preference=NetworkPreference.daily, name="Dana Daily")
    now = make_user()
    network_note([daily, now], key="e1")
    network_note([daily, now], key="e2")
    smtp.wait_for(2)
    assert [m["To"] for m in smtp.messages] == [now.email, now.email]

    assert digest.send_digests() == 1
    db.session.commit()
    [message] = smtp.to(daily.email)
    text, html = parts(message)
    assert "Your daily digest" in message["Subject"] and "2 updates" in message["Subject"]
    assert text.count("Newly published") == 2 and "http://reimagine.test/library/x" in text
    assert "Dana Daily" in html
    assert message["List-Unsubscribe"].startswith("<http://reimagine.test/account/unsubscribe/")
    held = db.session.scalars(sa.select(Notification).where(Notification.is_digest.is_(True)))
    assert {(n.status, n.last_error.startswith("sent in the daily digest")) for n in held} == {
        (NotificationStatus.skipped, True)
    }

    # the same day: nothing new, nothing sent; the next held row waits for tomorrow
    assert digest.send_digests() == 0
    network_note([daily], key="e3")
    assert digest.send_digests() == 0
    db.session.commit()
    assert len(smtp.to(daily.email)) == 1
    monkeypatch.setattr(digest, "utcnow", lambda: utcnow() + timedelta(days=1))
    assert digest.send_digests() == 1
    db.session.commit()
    assert len(smtp.to(daily.email)) == 2


def test_no_digest_when_there_is_nothing_to_say(app, smtp, make_user):
    make_user(network_preference=NetworkPreference.daily)
    assert digest.send_digests() == 0
    db.session.commit()
    assert smtp.messages == []
    assert db.session.scalar(sa.select(sa.func.count(Notification.id))) == 0


def test_switching_back_to_immediate_releases_held_rows(app, smtp, make_user):
    user = make_user(network_preference=NetworkPreference.daily)
    network_note([user])
    user.network_preference = NetworkPreference.immediate
    db.session.commit()
    sweep()
    [message] = smtp.wait_for(1)
    assert message["Subject"] == "Newly published"


def test_preferences_page_saves_frequency_and_pillars(app, client, make_user, login_as):
    user = make_user()
    login_as(user)
    page = client.get("/account/notifications")
    assert page.status_code == 200
    assert "Daily digest" in page.get_data(as_text=True)
    pillar_ids = list(db.session.scalars(sa.select(Pillar.id).order_by(Pillar.position)))
    response = client.post(
        "/account/notifications",
        data={"network_preference": "daily", "pillars": [pillar_ids[0], pillar_ids[2]]},
    )
    assert response.status_code == 302
    db.session.expire_all()
    user = db.session.get(User, user.id)
    assert user.network_preference == NetworkPreference.daily
    assert sorted(p.id for p in user.followed_pillars) == sorted([pillar_ids[0], pillar_ids[2]])


def test_preferences_page_refuses_bad_input_by_field(app, client, make_user, login_as):
    login_as(make_user())
    response = client.post(
        "/account/notifications", data={"network_preference": "weekly", "pillars": ["999", "x"]}
    )
    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Network emails:" in body and "Pillars I follow:" in body
    assert client.get("/account/notifications", follow_redirects=False).status_code == 200


def test_preferences_page_needs_sign_in(client):
    response = client.get("/account/notifications")
    assert response.status_code in (302, 401)


def test_one_click_unsubscribe_works_signed_out_with_csrf_on(app_factory, smtp, make_user):
    user = make_user()
    network_note([user])
    [message] = smtp.wait_for(1)
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    url = message["List-Unsubscribe"].strip("<>")
    assert url.startswith("http://reimagine.test/account/unsubscribe/")
    text, html = parts(message)
    assert url in text and url in html
    path = url.removeprefix("http://reimagine.test")

    strict = app_factory(WTF_CSRF_ENABLED=True)
    with strict.app_context():
        client = strict.test_client()
        page = client.get(path)
        assert page.status_code == 200 and user.email in page.get_data(as_text=True)
        assert db.session.get(User, user.id).network_preference == NetworkPreference.immediate
        # exactly what a mail client sends (RFC 8058), no CSRF token, no cookie
        response = client.post(
            path,
            data="List-Unsubscribe=One-Click",
            content_type="application/x-www-form-urlencoded",
        )
        assert response.status_code == 200
        db.session.expire_all()
        assert db.session.get(User, user.id).network_preference == NetworkPreference.off
        assert client.get(path[:-3] + "abc").status_code == 404
        assert client.post("/account/unsubscribe/forged").status_code == 404
        # other forms still need the token: refused, nothing written
        client.post("/auth/reset", data={"email": user.email})
        assert (
            db.session.scalar(
                sa.select(sa.func.count(Notification.id)).where(
                    Notification.kind == "password_reset"
                )
            )
            == 0
        )


def test_action_mail_carries_no_unsubscribe(app, smtp, make_user):
    user = make_user()
    action_note([user])
    [message] = smtp.wait_for(1)
    assert message["List-Unsubscribe"] is None


# ---------------------------------------------------------------- newly published


def test_newly_published_tells_followers_not_authors(app, smtp, make_user, pillar):
    author = make_user()
    follower = make_user()
    daily = make_user(network_preference=NetworkPreference.daily)
    make_user()  # follows nothing
    for person in (author, follower, daily):
        person.followed_pillars = [pillar]
    db.session.commit()
    study = complete_study(
        author,
        pillar=pillar,
        state=StudyState.published,
        published_at=utcnow(),
        slug="takoma-park-housing",
    )
    row = broadcasts.newly_published(study)
    db.session.commit()  # the job runs inline after the commit
    rows = db.session.scalars(sa.select(Notification).where(Notification.broadcast_id == row.id))
    assert {r.recipient_id for r in rows} == {follower.id, daily.id}
    [message] = smtp.wait_for(1)
    assert message["To"] == follower.email
    assert "Right to counsel for tenants" in message["Subject"]
    assert "(Published)" in message["Subject"]
    text, _ = parts(message)
    assert "http://reimagine.test/library/takoma-park-housing" in text
    db.session.refresh(row)
    assert (row.rows_written, row.rows_sent, row.finished_at is not None) == (2, 1, True)
    # announcing twice owes nothing new
    assert broadcasts.newly_published(study).id == row.id
    assert fanout.run_broadcast(row.id) == 0


# ---------------------------------------------------------------- fan-out


def _members(n: int, kind=UserKind.member, **fields) -> list[int]:
    now = utcnow()
    rows = [
        dict(
            email=f"{kind.value}{i}-{now.timestamp():.0f}@fan.example",
            name=f"M {i}",
            kind=kind,
            is_active=True,
            created_at=now,
            network_preference=fields.get("network_preference", NetworkPreference.immediate),
        )
        for i in range(n)
    ]
    db.session.execute(sa.insert(User), rows)
    db.session.commit()
    return list(db.session.scalars(sa.select(User.id).where(User.kind == kind)))


def _open_window(author, pillar) -> AffirmationWindow:
    study = complete_study(author, pillar=pillar, state=StudyState.in_affirmation, current_round=1)
    window = AffirmationWindow(
        study_id=study.id,
        round_number=1,
        opened_at=utcnow(),
        closes_at=utcnow() + timedelta(days=14),
    )
    db.session.add(window)
    db.session.commit()
    return window


def _opened(window) -> list:
    """Owe the window's opening to the network, with the job not yet run; return the rows."""
    study = db.session.get(CaseStudy, window.study_id)
    rows = broadcasts.affirmation_opened(window, study)
    db.session.info.pop(queue._PENDING, None)  # the test runs the job itself
    db.session.commit()
    return rows


def test_fan_out_batches_over_one_connection_each_and_reruns_write_nothing(
    app, smtp, make_user, pillar, monkeypatch
):
    author = make_user()
    _members(23)
    _members(4, kind=UserKind.partner)
    make_user(network_preference=NetworkPreference.off)
    make_user(network_preference=NetworkPreference.daily)
    window = _open_window(author, pillar)
    connections = []
    real = delivery.TimedConnection.configure_host
    monkeypatch.setattr(
        delivery.TimedConnection, "configure_host", lambda self: connections.append(1) or real(self)
    )
    app.config["FANOUT_BATCH"] = 10
    voters, partners = _opened(window)
    count = fanout.run_broadcast(voters.id) + fanout.run_broadcast(partners.id)
    # 23 members + 1 daily (held) + 4 partners; the author and the "off" member get nothing
    assert count == 27
    assert len(smtp.messages) == 27
    assert len(connections) == 4  # members: 25 people in batches of 10 → 3; partners: 1
    rows = db.session.scalars(sa.select(Notification)).all()
    assert len(rows) == 28 and sum(r.is_digest for r in rows) == 1
    partner_mail = smtp.to("partner0-")
    assert "open for network feedback" in parts(partner_mail[0])[0]
    assert "vote" in parts(smtp.to("member0-")[0])[0]
    assert all(m["List-Unsubscribe"] for m in smtp.messages)
    db.session.expire_all()
    assert (voters.rows_written, voters.rows_sent, voters.runs) == (24, 23, 1)
    assert voters.finished_at is not None and voters.lease_until is None

    assert fanout.run_broadcast(voters.id) == 0
    assert fanout.resume_broadcasts() == 0
    assert db.session.scalar(sa.select(sa.func.count(Notification.id))) == 28
    assert len(smtp.messages) == 27


def test_fan_out_resumes_from_its_progress_after_a_crash(app, smtp, make_user, pillar, monkeypatch):
    author = make_user()
    _members(12)
    window = _open_window(author, pillar)
    app.config["FANOUT_BATCH"] = 5
    [voters, _partners] = _opened(window)
    calls = {"n": 0}
    real_send = mail.send_batch

    def crash_on_second(ids, keep_alive=None):
        calls["n"] += 1
        if calls["n"] == 2:
            raise RuntimeError("killed")
        return real_send(ids, keep_alive)

    monkeypatch.setattr(mail, "send_batch", crash_on_second)
    with pytest.raises(RuntimeError):
        fanout.run_broadcast(voters.id)
    monkeypatch.setattr(mail, "send_batch", real_send)
    assert len(smtp.messages) == 5
    db.session.expire_all()
    # two batches written, one sent; the crash gave the lease back with what went wrong
    assert (voters.last_person_id > 0, voters.rows_written, voters.finished_at) == (True, 10, None)
    assert voters.lease_until is None and "killed" in voters.last_error
    # the sweep hands it to a new job, which sends what was left, then walks on
    assert sweep()["resume_broadcasts"] >= 1
    assert sorted(m["To"] for m in smtp.messages) == sorted(
        db.session.scalars(sa.select(User.email).where(User.id != author.id))
    )
    db.session.expire_all()
    assert voters.finished_at is not None and voters.runs == 2 and voters.rows_sent == 12


def test_opened_mail_is_not_sent_once_the_window_closed(app, smtp, make_user, pillar):
    author = make_user()
    member = make_user()
    window = _open_window(author, pillar)
    ids = notify.write_batch(
        "affirmation_opened",
        [(member.id, member.email, NetworkPreference.immediate)],
        subject="Open",
        event_key=str(window.id),
        context={
            "window_id": window.id,
            "title": "T",
            "pillar": "P",
            "closes_at": window.closes_at.isoformat(),
        },
    )
    window.closed_at = utcnow()
    window.result = "affirmed"
    db.session.commit()
    assert mail.send_batch(ids) == 0
    assert db.session.get(Notification, ids[0]).status == NotificationStatus.skipped
    assert smtp.messages == []


# ---------------------------------------------------------------- reminders


def _round(study, *, opened_days_ago: float, due_days: int = 14) -> Round:
    opened = utcnow() - timedelta(days=opened_days_ago)
    rnd = Round(
        study_id=study.id,
        number=study.current_round,
        opened_at=opened,
        due_at=opened + timedelta(days=due_days),
    )
    db.session.add(rnd)
    db.session.commit()
    return rnd


@pytest.fixture
def review_setup(app, make_user, pillar):
    author = make_user(name="Ann Author")
    chairs = [make_user(cochair_of=pillar, name=f"Chair {i}") for i in range(3)]
    staff = make_user(UserKind.staff, name="Sam Staff")
    study = complete_study(author, pillar=pillar, state=StudyState.in_review, current_round=1)
    return author, chairs, staff, study


def test_due_soon_then_overdue_then_escalation(app, smtp, review_setup):
    author, chairs, staff, study = review_setup
    rnd = _round(study, opened_days_ago=12)
    db.session.add(
        Review(round_id=rnd.id, reviewer_id=chairs[0].id, recommendation=Recommendation.approve)
    )
    db.session.commit()

    sweep()
    sweep()  # a second sweep sends nothing again
    messages = smtp.wait_for(2)
    assert sorted(m["To"] for m in messages) == sorted([chairs[1].email, chairs[2].email])
    text, html = parts(messages[0])
    subject = messages[0]["Subject"]
    assert "due in 3 days" in subject and "Right to counsel" in subject
    assert "Deadline:" in text and f"/cochair/studies/{study.id}" in text
    assert f"http://reimagine.test/cochair/studies/{study.id}" in html

    smtp.clear()
    rnd = db.session.get(Round, rnd.id)
    rnd.opened_at -= timedelta(days=3)
    rnd.due_at -= timedelta(days=3)
    db.session.commit()
    sweep()
    assert sorted(m["To"] for m in smtp.wait_for(2)) == sorted([chairs[1].email, chairs[2].email])
    assert all("overdue" in m["Subject"].lower() for m in smtp.messages)

    smtp.clear()
    rnd = db.session.get(Round, rnd.id)
    rnd.opened_at -= timedelta(days=14)
    rnd.due_at -= timedelta(days=14)
    db.session.commit()
    sweep()
    [message] = smtp.wait_for(1)
    assert message["To"] == staff.email and "stalled" in message["Subject"]
    assert "Chair 1, Chair 2" in parts(message)[0]
    sweep()
    assert len(smtp.messages) == 1


def test_no_reminder_for_a_decided_or_withdrawn_round(app, smtp, review_setup):
    author, chairs, staff, study = review_setup
    rnd = _round(study, opened_days_ago=30)
    rnd.decided_at = utcnow()
    rnd.decision = Recommendation.approve
    db.session.commit()
    sweep()
    assert smtp.messages == []


def test_reminder_whose_reason_went_before_sending_is_skipped(app, smtp, review_setup):
    author, chairs, staff, study = review_setup
    rnd = _round(study, opened_days_ago=12)
    smtp.refuse_data = "451 try again later"
    sweep()
    rows = {
        n.recipient_id: n.id
        for n in db.session.scalars(
            sa.select(Notification).where(Notification.kind == "review_due_soon")
        )
    }
    assert sorted(rows) == sorted(c.id for c in chairs)
    assert set(statuses().values()) == {NotificationStatus.pending}
    smtp.refuse_data = None
    db.session.execute(sa.update(Notification).values(next_attempt_at=None))
    # chair 0 reviews before the reminder goes: theirs is stale
    db.session.add(
        Review(round_id=rnd.id, reviewer_id=chairs[0].id, recommendation=Recommendation.approve)
    )
    db.session.commit()
    assert mail.send_batch([rows[chairs[0].id]]) == 0
    # then the authors withdraw the study: every other reminder is stale too
    # Not through apply(): its withdraw would write a notification of its own.
    with moving_state("tests"):
        db.session.execute(
            sa.update(type(study))
            .where(type(study).id == study.id)
            .values(state=StudyState.withdrawn)
        )
    db.session.commit()
    sweep()
    assert smtp.messages == []
    db.session.expire_all()
    assert set(statuses().values()) == {NotificationStatus.skipped}


# ---------------------------------------------------------------- delivery


def test_transient_failure_retries_with_backoff_then_sends_once(app, smtp, make_user):
    user = make_user()
    smtp.refuse_data = "451 greylisted"
    [row] = action_note([user])
    row = db.session.get(Notification, row.id)
    assert row.status == NotificationStatus.pending and row.attempts == 1
    assert row.next_attempt_at > utcnow() and "451" in row.last_error
    assert mail.send_batch([row.id]) == 0  # not due yet: nothing happens
    smtp.refuse_data = None
    db.session.execute(sa.update(Notification).values(next_attempt_at=utcnow()))
    db.session.commit()
    sweep()
    sweep()
    [message] = smtp.wait_for(1)
    row = db.session.get(Notification, row.id)
    assert row.status == NotificationStatus.sent and row.attempts == 2
    assert message["Message-ID"] == row.message_id


def test_permanent_failure_fails_at_once_and_staff_can_resend(app, smtp, make_user):
    user = make_user()
    smtp.refuse_rcpt = "550 no such mailbox"
    [row] = action_note([user])
    row = db.session.get(Notification, row.id)
    assert row.status == NotificationStatus.failed and row.attempts == 1
    assert "550" in row.last_error
    smtp.refuse_rcpt = None
    sweep()
    assert smtp.messages == []
    notify.resend(row)
    db.session.commit()
    [message] = smtp.wait_for(1)
    assert message["Message-ID"] == row.message_id
    assert db.session.get(Notification, row.id).status == NotificationStatus.sent


def test_gives_up_after_max_attempts(app, smtp, make_user):
    app.config["MAIL_MAX_ATTEMPTS"] = 2
    user = make_user()
    smtp.refuse_data = "421 closing"
    [row] = action_note([user])
    db.session.execute(sa.update(Notification).values(next_attempt_at=None))
    db.session.commit()
    sweep()
    row = db.session.get(Notification, row.id)
    db.session.refresh(row)
    assert row.status == NotificationStatus.failed and row.attempts == 2


def test_smtp_unreachable_keeps_rows_and_order_per_person(app, smtp, make_user):
    first, second = make_user(), make_user()
    smtp.stop()
    try:
        for key in ("1", "2", "3"):
            action_note([first, second], key=key)
    finally:
        smtp.start()
    rows = db.session.scalars(sa.select(Notification).order_by(Notification.id)).all()
    assert {r.status for r in rows} == {NotificationStatus.pending}
    db.session.execute(sa.update(Notification).values(next_attempt_at=None))
    db.session.commit()
    sweep()
    messages = smtp.wait_for(6)
    assert [m["Message-ID"] for m in messages] == [r.message_id for r in rows]


def test_younger_row_waits_for_an_older_one_to_the_same_person(app, smtp, make_user):
    user = make_user()
    smtp.refuse_data = "451 later"
    [old] = action_note([user], key="old")
    smtp.refuse_data = None
    [new] = action_note([user], key="new")
    assert smtp.messages == []
    new = db.session.get(Notification, new.id)
    assert new.status == NotificationStatus.pending and new.attempts == 0
    db.session.execute(sa.update(Notification).values(next_attempt_at=None))
    db.session.commit()
    sweep()
    assert [m["Message-ID"] for m in smtp.wait_for(2)] == [old.message_id, new.message_id]


def test_a_row_is_sent_once_even_when_its_job_runs_twice(app, smtp, make_user):
    user = make_user()
    [row] = action_note([user])
    smtp.wait_for(1)
    mail.send_notification(row.id)
    mail.send_batch([row.id, row.id])
    sweep()
    assert len(smtp.messages) == 1


def test_every_email_has_both_parts_and_its_subject(app, smtp, make_user):
    user = make_user()
    network_note([user])
    action_note([user])
    for message in smtp.wait_for(2):
        text, html = parts(message)
        assert text.strip() and html.strip().startswith("<!doctype html>")
        assert "http://reimagine.test/" in text and 'href="http://reimagine.test/' in html


def test_staff_see_broadcasts_and_resume_a_stalled_one(app, smtp, make_user, pillar):
    author = make_user()
    _members(3)
    staff = make_user(UserKind.staff)
    window = _open_window(author, pillar)
    voters, partners = _opened(window)  # owed, and no job ran: both stalled
    client = app.test_client()
    client.post("/auth/login", data={"email": staff.email, "password": PASSWORD})
    page = client.get("/staff/broadcasts/")
    assert page.status_code == 200
    row = page.text.split(f'data-broadcast="{voters.id}"')[1].split("</tr>")[0]
    assert "affirmation opened" in row and "Right to counsel for tenants" in row
    assert "0 written, 0 sent" in row and "Stalled" in row and "Resume" in row
    assert 'href="/staff/broadcasts/"' in client.get("/staff/notifications").text
    response = client.post(f"/staff/broadcasts/{voters.id}/resume")
    assert response.status_code == 302
    assert len(smtp.messages) == 3  # the job ran after the commit (inline here)
    db.session.expire_all()
    assert voters.finished_at is not None and voters.rows_sent == 3
    row = client.get("/staff/broadcasts/?stalled=1").text
    assert f'data-broadcast="{voters.id}"' not in row and f'data-broadcast="{partners.id}"' in row
    member = make_user()
    other = app.test_client()
    other.post("/auth/login", data={"email": member.email, "password": PASSWORD})
    assert other.get("/staff/broadcasts/").status_code == 404
    assert other.post(f"/staff/broadcasts/{partners.id}/resume").status_code == 404
