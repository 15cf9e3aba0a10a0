"""The staff console: who may open it, people, pillars and settings, studies, the audit log and
the outbox."""

import csv
import io
from datetime import timedelta

import pytest
import sqlalchemy as sa

from models import (
    AccessRequest,
    AffirmationWindow,
    AuditEvent,
    Broadcast,
    CaseStudy,
    CochairAssignment,
    Login,
    Notification,
    Pillar,
    Round,
    User,
)
from models.base import db
from models.clock import utcnow
from models.enums import (
    AccessRequestStatus,
    NotificationCategory,
    NotificationStatus,
    StudyState,
    UserKind,
)
from models.setting import get_setting
from review import notify, staff
from tests.conftest import PASSWORD, parts
from tests.factories import complete_study


def _audit(event: str) -> list[AuditEvent]:
    return list(
        db.session.scalars(
            sa.select(AuditEvent).where(AuditEvent.event == event).order_by(AuditEvent.id)
        )
    )


@pytest.fixture
def staffer(make_user, login_as):
    user = make_user(UserKind.staff, name="Sam Staff")
    login_as(user)
    return user


@pytest.fixture
def world(app, make_user, pillar):
    """One of everything a staff URL can name."""
    member = make_user()
    study = complete_study(member, pillar)
    rnd = Round(study_id=study.id, number=1, opened_at=utcnow(), due_at=utcnow())
    request_row = AccessRequest(email="asker@example.org", name="Asker", created_at=utcnow())
    note = Notification(
        dedupe_key="w:1",
        email=member.email,
        recipient_id=member.id,
        kind="password_reset",
        category=NotificationCategory.account,
        message_id="<w1@t>",
        subject="Hello",
        body_text="Text part",
        body_html="<p>HTML part</p>",
        status=NotificationStatus.failed,
        created_at=utcnow(),
    )
    sent = Broadcast(
        dedupe_key="affirmation_opened:members:w",
        kind="affirmation_opened",
        audience="members",
        event_key="w",
        category=NotificationCategory.network,
        study_id=study.id,
        subject="Open for affirmation",
        started_at=utcnow(),
        written_at=utcnow(),
        finished_at=utcnow(),
    )
    db.session.add_all([rnd, request_row, note, sent])
    db.session.commit()
    return {
        "user_id": member.id,
        "study_id": study.id,
        "round_id": rnd.id,
        "broadcast_id": sent.id,
        "request_id": request_row.id,
        "notification_id": note.id,
        "pillar_id": pillar.id,
        "decision": "approve",
        "action": "deactivate",
        "event": "publish",
    }


def _staff_urls(app, world) -> list[tuple[str, str]]:
    out = []
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/staff"):
            continue
        url = rule.rule
        for arg in rule.arguments:
            url = _fill(url, arg, world[arg])
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            out.append((method, url))
    return out


def _fill(url: str, arg: str, value) -> str:
    import re

    return re.sub(r"<[^>]*\b" + arg + ">", str(value), url)


@pytest.mark.parametrize("kind", ["visitor", "member", "partner", "cochair"])
def test_every_staff_route_refuses_every_other_role(
    app, client, world, make_user, login_as, pillar, kind
):
    if kind == "cochair":
        login_as(make_user(UserKind.member, cochair_of=pillar))
    elif kind != "visitor":
        login_as(make_user(UserKind(kind)))
    urls = _staff_urls(app, world)
    assert len(urls) >= 20
    for method, url in urls:
        response = client.open(url, method=method)
        if kind == "visitor":
            assert response.status_code == 302, (method, url)
            assert "/auth/login" in response.headers["Location"], (method, url)
        else:
            assert response.status_code == 404, (method, url, kind)
    # Nothing was changed by any of those requests.
    assert db.session.get(User, world["user_id"]).is_active
    assert db.session.get(AccessRequest, world["request_id"]).status == AccessRequestStatus.pending


def test_staff_open_every_page(app, client, world, staffer):
    for method, url in _staff_urls(app, world):
        if method == "GET":
            response = client.get(url)
            body = response.get_data(as_text=True)
            response.close()
            assert response.status_code in (200, 302), (url, response.status_code)
            if response.mimetype == "text/html" and not url.endswith("/html"):
                assert 'style="' not in body.split("<main", 1)[-1], url


# ---------------------------------------------------------------- people


def test_invite_from_the_console_sends_the_invitation(client, staffer, smtp):
    response = client.post(
        "/staff/people/invite",
        data={"name": "Nia New", "email": "Nia@Example.org", "kind": "partner"},
    )
    assert response.status_code == 302
    user = db.session.scalar(sa.select(User).where(User.email == "nia@example.org"))
    assert user.kind == UserKind.partner and not user.has_password
    [message] = smtp.wait_for(1)
    assert "/auth/invite/" in parts(message)[0]
    [event] = _audit("user_invited")
    assert event.actor_id == staffer.id and event.data["after"]["kind"] == "partner"


def test_invite_errors_name_the_field_and_keep_what_was_typed(client, staffer, make_user):
    taken = make_user()
    response = client.post(
        "/staff/people/invite", data={"name": "Dup", "email": taken.email, "kind": "member"}
    )
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "Email: An account for" in html and 'value="Dup"' in html
    response = client.post("/staff/people/invite", data={"name": "", "email": "x", "kind": "zz"})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "Name:" in html and "Email:" in html and "Kind:" in html


def test_approve_and_reject_access_requests(client, staffer, smtp):
    yes = AccessRequest(
        email="yes@example.org",
        name="Yes",
        kind=UserKind.member,
        office="Council",
        created_at=utcnow(),
    )
    no = AccessRequest(email="no@example.org", name="No", created_at=utcnow())
    db.session.add_all([yes, no])
    db.session.commit()
    page = client.get("/staff/people").get_data(as_text=True)
    assert "yes@example.org" in page and "Approve and invite" in page
    assert client.post(f"/staff/requests/{yes.id}/approve").status_code == 302
    assert client.post(f"/staff/requests/{no.id}/reject").status_code == 302
    user = db.session.scalar(sa.select(User).where(User.email == "yes@example.org"))
    assert user is not None and user.office == "Council"
    assert db.session.scalar(sa.select(User).where(User.email == "no@example.org")) is None
    smtp.wait_for(1)
    assert [m["To"] for m in smtp.messages] == ["yes@example.org"]
    assert [e.data["after"]["status"] for e in _audit("access_request_approved")] == ["approved"]
    assert len(_audit("access_request_rejected")) == 1
    # Deciding twice is refused with a message, not an error page.
    response = client.post(f"/staff/requests/{no.id}/approve", follow_redirects=True)
    assert "already been decided" in response.get_data(as_text=True)


def test_search_people(client, staffer, make_user):
    make_user(name="Ada Lovelace", office="Mayor")
    make_user(UserKind.partner, name="Grace Hopper")
    html = client.get("/staff/people?q=lovel").get_data(as_text=True)
    assert "Ada Lovelace" in html and "Grace Hopper" not in html
    html = client.get("/staff/people?kind=partner").get_data(as_text=True)
    assert "Grace Hopper" in html and "Ada Lovelace" not in html
    assert client.get("/staff/people?q=%25_%5C&page=abc").status_code == 200


def test_change_kind_and_cochairs(client, staffer, make_user, pillar):
    member = make_user()
    response = client.post(f"/staff/people/{member.id}/kind", data={"kind": "partner"})
    assert response.status_code == 302
    assert db.session.get(User, member.id).kind == UserKind.partner
    [event] = _audit("user_kind_changed")
    assert (event.data["before"], event.data["after"]) == ({"kind": "member"}, {"kind": "partner"})
    # A partner cannot co-chair: the error names the field.
    response = client.post(f"/staff/people/{member.id}/cochairs", data={"pillar_id": pillar.id})
    assert response.status_code == 422
    assert "Pillar: only an active member" in response.get_data(as_text=True)
    client.post(f"/staff/people/{member.id}/kind", data={"kind": "member"})
    assert (
        client.post(
            f"/staff/people/{member.id}/cochairs", data={"pillar_id": pillar.id}
        ).status_code
        == 302
    )
    assert [a.pillar_id for a in db.session.get(User, member.id).cochair_assignments] == [pillar.id]
    # A co-chair's kind cannot change while they co-chair.
    response = client.post(f"/staff/people/{member.id}/kind", data={"kind": "staff"})
    assert response.status_code == 422 and "co-chair assignments first" in response.get_data(
        as_text=True
    )
    # Removing the only co-chair leaves the pillar flagged.
    response = client.post(
        f"/staff/people/{member.id}/cochairs/{pillar.id}/remove", follow_redirects=True
    )
    assert f"{pillar.name} has no co-chair now" in response.get_data(as_text=True)
    assert pillar.id in {p.id for p in staff.pillars_without_cochairs()}
    html = client.get("/staff/pillars").get_data(as_text=True)
    assert f'data-pillar="{pillar.id}" class="flagged"' in html
    [added] = _audit("cochair_added")
    [removed] = _audit("cochair_removed")
    assert added.data["after"]["cochairs"] == [member.id]
    assert removed.data["before"]["cochairs"] == [member.id]
    assert removed.data["after"]["cochairs"] == []


def test_staff_cannot_change_or_deactivate_themselves(client, staffer):
    response = client.post(f"/staff/people/{staffer.id}/kind", data={"kind": "member"})
    assert response.status_code == 422
    client.post(f"/staff/people/{staffer.id}/deactivate")
    assert db.session.get(User, staffer.id).is_active


def test_deactivation(app, client, staffer, make_user, pillar, smtp):
    member = make_user(cochair_of=pillar)
    study = complete_study(member, pillar)
    before = (study.state, study.version, study.title)
    # The member is signed in elsewhere.
    elsewhere = app.test_client()
    assert (
        elsewhere.post(
            "/auth/login", data={"email": member.email, "password": PASSWORD}
        ).status_code
        == 302
    )
    assert elsewhere.get("/studies/").status_code == 200
    assert client.post(f"/staff/people/{member.id}/deactivate").status_code == 302
    db.session.expire_all()
    # Sessions ended: the other browser is asked to sign in.
    assert (
        db.session.scalar(
            sa.select(sa.func.count()).select_from(Login).where(Login.user_id == member.id)
        )
        == 0
    )
    response = elsewhere.get("/studies/")
    assert response.status_code == 302 and "/auth/login" in response.headers["Location"]
    # Sign-in refused.
    response = app.test_client().post(
        "/auth/login", data={"email": member.email, "password": PASSWORD}
    )
    assert response.status_code != 302
    # Not notified.
    assert (
        notify.notify(
            "password_reset",
            [db.session.get(User, member.id)],
            subject="x",
            event_key="after-deactivation",
            category=NotificationCategory.account,
        )
        == []
    )
    db.session.commit()
    assert smtp.messages == []
    # Their studies stay as they were.
    study = db.session.get(CaseStudy, study.id)
    assert (study.state, study.version, study.title) == before
    assert member.id in study.author_ids
    [event] = _audit("user_deactivated")
    assert event.data["before"] == {"is_active": True} and event.data["after"] == {
        "is_active": False
    }
    # And back.
    assert client.post(f"/staff/people/{member.id}/reactivate").status_code == 302
    assert (
        app.test_client()
        .post("/auth/login", data={"email": member.email, "password": PASSWORD})
        .status_code
        == 302
    )


def test_resend_invitation(client, staffer, make_user, smtp):
    invited = make_user(password_hash=None, invited_at=utcnow() - timedelta(days=3))
    assert client.post(f"/staff/people/{invited.id}/resend_invitation").status_code == 302
    [message] = smtp.wait_for(1)
    assert message["To"] == invited.email and "/auth/invite/" in parts(message)[0]
    assert len(_audit("invitation_resent")) == 1
    accepted = make_user()
    response = client.post(f"/staff/people/{accepted.id}/resend_invitation", follow_redirects=True)
    assert "already accepted" in response.get_data(as_text=True)


# ---------------------------------------------------------------- pillars and settings


def test_edit_pillar_records_before_and_after(client, staffer, pillar):
    old_name = pillar.name
    response = client.post(
        f"/staff/pillars/{pillar.id}",
        data={
            "name": "Reimagine Budgets",
            "description": pillar.description,
            "review_quorum": "3",
            "review_due_days": "14",
        },
    )
    assert response.status_code == 302
    pillar = db.session.get(Pillar, pillar.id)
    assert (pillar.name, pillar.review_quorum) == ("Reimagine Budgets", 3)
    [event] = _audit("pillar_updated")
    assert event.data["before"] == {"name": old_name, "review_quorum": 2}
    assert event.data["after"] == {"name": "Reimagine Budgets", "review_quorum": 3}
    response = client.post(
        f"/staff/pillars/{pillar.id}",
        data={"name": "Kept", "review_quorum": "0", "review_due_days": "x"},
    )
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "Review quorum:" in html and "Review due in (days):" in html and 'value="Kept"' in html


def test_add_cochair_by_email_on_the_pillar_page(client, staffer, make_user, pillar):
    member = make_user()
    response = client.post(f"/staff/pillars/{pillar.id}/cochairs", data={"email": member.email})
    assert response.status_code == 302
    assert (
        db.session.scalar(
            sa.select(CochairAssignment.user_id).where(CochairAssignment.pillar_id == pillar.id)
        )
        == member.id
    )
    response = client.post(
        f"/staff/pillars/{pillar.id}/cochairs", data={"email": "nobody@example.org"}
    )
    assert response.status_code == 422
    assert "No one has an account with this email" in response.get_data(as_text=True)


def test_global_settings(client, staffer):
    response = client.post(
        "/staff/settings",
        data={
            "affirmation_days": "21",
            "affirmation_min_votes": "5",
            "affirmation_threshold": "0.6",
        },
    )
    assert response.status_code == 302
    assert (
        get_setting("affirmation_days"),
        get_setting("affirmation_min_votes"),
        get_setting("affirmation_threshold"),
    ) == (21, 5, 0.6)
    [event] = _audit("settings_updated")
    assert event.data["before"]["affirmation_days"] == 14
    assert event.data["after"] == {
        "affirmation_days": 21,
        "affirmation_min_votes": 5,
        "affirmation_threshold": 0.6,
    }
    response = client.post(
        "/staff/settings",
        data={"affirmation_days": "0", "affirmation_min_votes": "-1", "affirmation_threshold": "2"},
    )
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "Affirmation window (days):" in html and "Threshold" in html


# ---------------------------------------------------------------- studies


def _in_state(member, pillar, state, **fields) -> CaseStudy:
    study = complete_study(member, pillar, state=state, current_round=1, **fields)
    return study


def test_studies_list_filters(client, staffer, make_user, pillar):
    member = make_user()
    complete_study(member, pillar, title="A draft")
    _in_state(member, pillar, StudyState.declined, title="A declined one")
    html = client.get("/staff/studies?state=declined").get_data(as_text=True)
    assert "A declined one" in html and "A draft" not in html
    assert client.get("/staff/studies?state=nonsense&pillar=x&overdue=1").status_code == 200


def test_publish_and_unpublish_with_a_reason(client, staffer, make_user, pillar, smtp):
    member = make_user()
    study = _in_state(member, pillar, StudyState.affirmed, affirmed_at=utcnow())
    html = client.get(f"/staff/studies/{study.id}").get_data(as_text=True)
    assert "Publish to the library" in html
    response = client.post(f"/staff/studies/{study.id}/publish", data={"version": study.version})
    assert response.status_code == 302
    study = db.session.get(CaseStudy, study.id)
    assert study.state == StudyState.published and study.slug
    # No reason: refused, the field named.
    response = client.post(f"/staff/studies/{study.id}/unpublish", data={"unpublish-reason": ""})
    assert response.status_code == 422
    assert "Reason:" in response.get_data(as_text=True)
    response = client.post(
        f"/staff/studies/{study.id}/unpublish",
        data={"unpublish-reason": "Factual error in the timeline"},
    )
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(CaseStudy, study.id).state == StudyState.affirmed
    [event] = _audit("unpublish")
    assert event.actor_id == staffer.id and event.override_reason == "Factual error in the timeline"


def test_stale_version_is_refused(client, staffer, make_user, pillar):
    study = _in_state(make_user(), pillar, StudyState.affirmed, affirmed_at=utcnow())
    response = client.post(
        f"/staff/studies/{study.id}/publish",
        data={"version": study.version - 1 or 99},
        follow_redirects=True,
    )
    assert "changed since you opened it" in response.get_data(as_text=True)
    assert db.session.get(CaseStudy, study.id).state == StudyState.affirmed


def test_a_reason_that_meets_a_changed_study_is_kept(client, staffer, make_user, pillar):
    study = _in_state(make_user(), pillar, StudyState.declined)
    response = client.post(
        f"/staff/studies/{study.id}/reopen",
        data={"version": study.version + 5, "reopen-reason": "The co-chairs misread the budget"},
    )
    assert response.status_code == 409
    html = response.get_data(as_text=True)
    assert "changed since you opened it" in html and "The co-chairs misread the budget" in html
    assert db.session.get(CaseStudy, study.id).state == StudyState.declined


def test_reopen_a_declined_study(client, staffer, make_user, pillar):
    study = _in_state(make_user(), pillar, StudyState.declined)
    response = client.post(
        f"/staff/studies/{study.id}/reopen",
        data={"reopen-reason": "The co-chairs misread the budget"},
    )
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(CaseStudy, study.id).state == StudyState.draft
    # A draft cannot be published: refused with the workflow's message.
    response = client.post(f"/staff/studies/{study.id}/publish")
    assert response.status_code == 422
    assert "cannot be published now" in response.get_data(as_text=True)


def test_override_in_place_of_the_cochairs(client, staffer, make_user, pillar):
    study = _in_state(make_user(), pillar, StudyState.submitted)
    db.session.add(
        Round(study_id=study.id, number=1, opened_at=utcnow(), due_at=utcnow() + timedelta(days=14))
    )
    db.session.commit()
    response = client.post(
        f"/staff/studies/{study.id}/override",
        data={
            "override-recommendation": "decline",
            "override-overall": "",
            "override-reason": "No co-chair is available",
        },
    )
    assert response.status_code == 422  # declining needs an overall comment
    assert "Overall comment" in response.get_data(as_text=True)
    response = client.post(
        f"/staff/studies/{study.id}/override",
        data={
            "override-recommendation": "approve",
            "override-overall": "Strong study.",
            "override-reason": "No co-chair is available",
        },
    )
    assert response.status_code == 302
    [event] = _audit("override")
    assert event.override_reason == "No co-chair is available"
    db.session.expire_all()
    # With no eligible co-chair the quorum is one: staff's review decides the round.
    assert db.session.get(CaseStudy, study.id).state == StudyState.in_affirmation


def test_extend_an_affirmation(client, staffer, make_user, pillar):
    study = _in_state(make_user(), pillar, StudyState.in_affirmation)
    window = AffirmationWindow(
        study_id=study.id,
        round_number=1,
        opened_at=utcnow(),
        closes_at=utcnow() + timedelta(days=2),
    )
    db.session.add(window)
    db.session.commit()
    html = client.get(f"/staff/studies/{study.id}").get_data(as_text=True)
    assert "Extend the affirmation" in html
    response = client.post(
        f"/staff/studies/{study.id}/extend", data={"extend-closes_at": "", "extend-reason": ""}
    )
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "New closing time (UTC):" in html and "Reason:" in html
    earlier = (window.closes_at - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    response = client.post(
        f"/staff/studies/{study.id}/extend",
        data={"extend-closes_at": earlier, "extend-reason": "More time"},
    )
    assert response.status_code == 422
    assert "New closing time (UTC): it must be later" in response.get_data(as_text=True)
    later = (window.closes_at + timedelta(days=3)).strftime("%Y-%m-%dT%H:%M")
    response = client.post(
        f"/staff/studies/{study.id}/extend",
        data={"extend-closes_at": later, "extend-reason": "Holiday week"},
    )
    assert response.status_code == 302
    db.session.expire_all()
    moved = db.session.get(AffirmationWindow, window.id).closes_at
    assert moved.strftime("%Y-%m-%dT%H:%M") == later
    [event] = _audit("affirmation_extended")
    assert event.actor_id == staffer.id and event.override_reason == "Holiday week"


# ---------------------------------------------------------------- the audit log


def test_audit_log_filters_and_csv_export(client, staffer, make_user, pillar):
    member = make_user(email="ann@example.org")
    study = complete_study(member, pillar)
    now = utcnow()
    db.session.add_all(
        [
            AuditEvent(
                study_id=study.id,
                actor_id=member.id,
                event="submit",
                from_state="draft",
                to_state="submitted",
                comment='=HYPERLINK("http://evil")',
                created_at=now - timedelta(days=3),
            ),
            AuditEvent(
                actor_id=staffer.id,
                event="settings_updated",
                data={"after": {"x": 1}},
                comment="+cmd",
                created_at=now,
            ),
        ]
    )
    db.session.commit()
    html = client.get(f"/staff/audit?study={study.id}").get_data(as_text=True)
    assert "<td>submit</td>" in html and "<td>settings_updated</td>" not in html
    html = client.get("/staff/audit?person=ann@example.org").get_data(as_text=True)
    assert "<td>submit</td>" in html and "<td>settings_updated</td>" not in html
    day = (now - timedelta(days=3)).date().isoformat()
    html = client.get(f"/staff/audit?date_from={day}&date_to={day}").get_data(as_text=True)
    assert "<td>submit</td>" in html and "<td>settings_updated</td>" not in html
    assert client.get("/staff/audit?date_from=yesterday&study=-4").status_code == 422
    response = client.get("/staff/audit.csv")
    assert response.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    comments = {r["event"]: r["comment"] for r in rows}
    assert comments["submit"].startswith("'=")
    assert comments["settings_updated"] == "'+cmd"
    assert staff.safe_cell("-1") == "'-1" and staff.safe_cell("@x") == "'@x"


def test_audit_rows_cannot_be_changed(app, staffer):
    event = AuditEvent(event="x", created_at=utcnow())
    db.session.add(event)
    db.session.commit()
    event.comment = "changed"
    with pytest.raises(ValueError):
        db.session.commit()
    db.session.rollback()


# ---------------------------------------------------------------- notifications


def test_read_a_stored_email_and_resend_a_failed_one(app, client, staffer, make_user, smtp):
    member = make_user(name="Mo Member")
    [row] = notify.notify(
        "password_reset",
        [member],
        subject="Reset your password",
        event_key="t1",
        category=NotificationCategory.account,
        context={"path": "/auth/reset/x", "name": "Mo"},
    )
    db.session.commit()
    smtp.wait_for(1)
    row = db.session.get(Notification, row.id)
    assert row.status == NotificationStatus.sent and row.body_html
    html = client.get("/staff/notifications?person=mo member").get_data(as_text=True)
    assert "Reset your password" in html
    page = client.get(f"/staff/notifications/{row.id}").get_data(as_text=True)
    assert "<iframe" in page and "sandbox" in page
    assert "&lt;html" in page or "&lt;!doctype" in page.lower()  # the source, escaped
    frame = client.get(f"/staff/notifications/{row.id}/html")
    assert frame.get_data(as_text=True) == row.body_html
    assert "sandbox" in frame.headers["Content-Security-Policy"]
    # A sent email is not resent from here; a failed one is.
    client.post(f"/staff/notifications/{row.id}/resend")
    assert len(smtp.messages) == 1
    db.session.execute(
        sa.update(Notification)
        .where(Notification.id == row.id)
        .values(status=NotificationStatus.failed, sent_at=None, last_error="550 no")
    )
    db.session.commit()
    html = client.get("/staff/notifications?status=failed").get_data(as_text=True)
    assert f'data-notification="{row.id}"' in html and "Resend" in html
    assert client.post(f"/staff/notifications/{row.id}/resend").status_code == 302
    smtp.wait_for(2)
    db.session.expire_all()
    assert db.session.get(Notification, row.id).status == NotificationStatus.sent
    assert len(_audit("notification_resent")) == 1


def test_stored_emails_are_read_in_the_console(app_factory, make_user, smtp):
    app = app_factory(MAIL_TRANSPORT="store")
    with app.app_context():
        member = make_user()
        boss = make_user(UserKind.staff)
        notify.notify(
            "password_reset",
            [member],
            subject="Stored one",
            event_key="s1",
            category=NotificationCategory.account,
            context={"path": "/auth/reset/x", "name": "M"},
        )
        db.session.commit()
        row = db.session.scalar(sa.select(Notification))
        assert row.transport == "store" and smtp.messages == []
        client = app.test_client()
        client.post("/auth/login", data={"email": boss.email, "password": PASSWORD})
        html = client.get(f"/staff/notifications/{row.id}").get_data(as_text=True)
        assert "stored, not sent" in html and "Stored one" in html
