"""The private ICS feed (a co-chair's reviews, a member's votes, an author's deadlines; reset
makes the old address 404) and the .ics an email with a deadline carries."""

from datetime import timedelta

import sqlalchemy as sa
from icalendar import Calendar

from models import AffirmationWindow, Pillar, Round, User
from models.base import db
from models.clock import utcnow
from models.enums import StudyState, UserKind
from review import accounts, broadcasts, workflow
from tests.factories import complete_study
from tests.test_statement_counts import statements_of


def _feed(client, user) -> Calendar:
    response = client.get(f"/calendar/{user.calendar_token}.ics")
    assert response.status_code == 200
    assert response.mimetype == "text/calendar"
    return Calendar.from_ical(response.data)


def _events(cal: Calendar) -> dict[str, object]:
    return {str(e["UID"]): e for e in cal.walk("VEVENT")}


def _setup(make_user, pillar):
    chair = make_user(cochair_of=pillar, name="Carla Chair")
    member = make_user(name="Mo Member")
    partner = make_user(UserKind.partner, name="Pat Partner")
    author = make_user(name="Ann Author")
    reviewing = complete_study(author, pillar=pillar, title="Tenant counsel")
    workflow.apply(reviewing, "submit", author)
    voting = complete_study(
        author, pillar=pillar, title="Participatory budget", state=StudyState.in_affirmation
    )
    voting.current_round = 1
    window = AffirmationWindow(
        study_id=voting.id,
        round_number=1,
        opened_at=utcnow(),
        closes_at=utcnow() + timedelta(days=14),
    )
    db.session.add(window)
    db.session.commit()
    rnd = db.session.scalar(sa.select(Round).where(Round.study_id == reviewing.id))
    return chair, member, partner, author, reviewing, rnd, voting, window


def test_feed_carries_each_persons_deadlines(app, client, make_user, pillar):
    chair, member, partner, author, reviewing, rnd, voting, window = _setup(make_user, pillar)
    review_uid = f"review-{reviewing.id}-r{rnd.number}@reimagine.test"
    vote_uid = f"affirmation-{window.id}@reimagine.test"

    chair_events = _events(_feed(client, chair))
    assert set(chair_events) == {review_uid, vote_uid}  # a co-chair is a member too
    event = chair_events[review_uid]
    assert str(event["SUMMARY"]) == "Review due: Tenant counsel"
    assert event.decoded("DTSTART") == rnd.due_at.replace(microsecond=0)
    assert f"/cochair/studies/{reviewing.id}" in str(event["URL"])

    member_events = _events(_feed(client, member))
    assert set(member_events) == {vote_uid}
    assert (
        str(member_events[vote_uid]["SUMMARY"]) == "Affirmation vote closes: Participatory budget"
    )
    assert member_events[vote_uid].decoded("DTSTART") == window.closes_at.replace(microsecond=0)

    assert _events(_feed(client, partner)) == {}  # partners do not vote
    author_events = _events(_feed(client, author))
    assert set(author_events) == {review_uid, vote_uid}
    assert str(author_events[vote_uid]["SUMMARY"]).startswith("Network affirmation closes")


def test_decided_rounds_and_closed_windows_leave_the_feed(app, client, make_user, pillar):
    chair, member, *_rest, window = _setup(make_user, pillar)
    window.closed_at, window.result = utcnow(), "affirmed"
    db.session.commit()
    assert _events(_feed(client, member)) == {}
    assert all(uid.startswith("review-") for uid in _events(_feed(client, chair)))


def test_reset_makes_the_old_address_404(app, client, make_user, login_as):
    user = make_user()
    old = user.calendar_token
    assert client.get(f"/calendar/{old}.ics").status_code == 200
    login_as(user)
    page = client.get("/account/").get_data(as_text=True)
    assert f"http://reimagine.test/calendar/{old}.ics" in page
    response = client.post("/account/calendar/reset")
    assert response.status_code == 302
    db.session.expire_all()
    new = db.session.get(User, user.id).calendar_token
    assert new != old
    assert client.get(f"/calendar/{old}.ics").status_code == 404
    assert client.get(f"/calendar/{new}.ics").status_code == 200
    assert f"/calendar/{new}.ics" in client.get("/account/").get_data(as_text=True)
    assert client.get("/calendar/never-issued.ics").status_code == 404


def test_reset_needs_a_csrf_token(app_factory, make_user):
    app = app_factory(WTF_CSRF_ENABLED=True)
    user = make_user()
    client = app.test_client()
    page = client.get("/auth/login").get_data(as_text=True)
    token = page.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
    signed_in = client.post(
        "/auth/login",
        data={"email": user.email, "password": "correct horse battery", "csrf_token": token},
    )
    assert signed_in.status_code == 302 and client.get("/account/").status_code == 200
    old = user.calendar_token
    refused = client.post("/account/calendar/reset")
    assert refused.status_code in (400, 302)
    db.session.expire_all()
    assert db.session.get(User, user.id).calendar_token == old


def test_an_email_with_a_deadline_carries_its_ics(app, smtp, make_user, pillar):
    chair = make_user(cochair_of=pillar)
    author = make_user()
    study = complete_study(author, pillar=pillar, title="Tenant counsel")
    workflow.apply(study, "submit", author)
    db.session.commit()
    rnd = db.session.scalar(sa.select(Round).where(Round.study_id == study.id))
    for person in (chair, author):
        (message,) = smtp.to(person.email)
        calendars = [p for p in message.walk() if p.get_content_type() == "text/calendar"]
        assert len(calendars) == 1, [p.get_content_type() for p in message.walk()]
        cal = Calendar.from_ical(calendars[0].get_content())
        (event,) = cal.walk("VEVENT")
        assert str(event["UID"]) == f"review-{study.id}-r{rnd.number}@reimagine.test"
        assert event.decoded("DTSTART") == rnd.due_at.replace(microsecond=0)
        assert "Tenant counsel" in str(event["SUMMARY"])


def test_an_email_without_a_deadline_has_no_ics(app, smtp, make_user):
    user = make_user()
    accounts.request_password_reset(user.email)
    db.session.commit()
    (message,) = smtp.to(user.email)
    assert all(p.get_content_type() != "text/calendar" for p in message.walk())


def test_a_fan_out_attaches_each_persons_ics_in_their_language(app, smtp, make_user, pillar):
    """The .ics is built once per language for a broadcast's batch, never once for everyone."""
    author = make_user()
    spanish, english = make_user(locale="es"), make_user(locale="en")
    study = complete_study(
        author, pillar=pillar, title="Presupuesto", state=StudyState.in_affirmation
    )
    study.current_round = 1
    closes = utcnow() + timedelta(days=14)
    window = AffirmationWindow(
        study_id=study.id, round_number=1, opened_at=utcnow(), closes_at=closes
    )
    db.session.add(window)
    db.session.commit()
    broadcasts.affirmation_opened(window, study)
    db.session.commit()  # the job runs inline after the commit
    summaries = {}
    for person in (spanish, english):
        (message,) = smtp.to(person.email)
        (part,) = [p for p in message.walk() if p.get_content_type() == "text/calendar"]
        (event,) = Calendar.from_ical(part.get_content()).walk("VEVENT")
        assert str(event["UID"]) == f"affirmation-{window.id}@reimagine.test"
        assert event.decoded("DTSTART") == closes.replace(microsecond=0)
        summaries[person.locale] = str(event["SUMMARY"])
    assert summaries == {
        "es": "Cierra la votación de ratificación: Presupuesto",
        "en": "Affirmation vote closes: Presupuesto",
    }


def _deadlines_in_every_pillar(author, count: int, start: int = 0) -> None:
    """Add `count` studies by `author`, round-robin over the pillars: every other one waiting
    for its co-chair review, the others open to the network's vote."""
    pillars = db.session.scalars(sa.select(Pillar).order_by(Pillar.position)).all()
    for n in range(start, start + count):
        voting = n % 2 == 1
        study = complete_study(
            author,
            pillar=pillars[n % len(pillars)],
            title=f"Deadline {n}",
            state=StudyState.in_affirmation if voting else StudyState.submitted,
        )
        study.current_round = 1
        due = utcnow() + timedelta(days=3 + n)
        if voting:
            db.session.add(
                AffirmationWindow(
                    study_id=study.id, round_number=1, opened_at=utcnow(), closes_at=due
                )
            )
        else:
            db.session.add(Round(study_id=study.id, number=1, opened_at=utcnow(), due_at=due))
    db.session.commit()


def test_a_feed_costs_the_same_statements_for_3_and_30_events(app, client, make_user):
    """The feed loads each kind of deadline in one statement (its study's title and pillar
    with it), so a co-chair of every pillar and an author pay the same for 3 events as for 30."""
    pillars = db.session.scalars(sa.select(Pillar)).all()
    chair = make_user(cochair_of=pillars, name="Carla Chair")
    author = make_user(name="Ann Author")
    counts = {}
    for start, total in ((0, 3), (3, 30)):
        _deadlines_in_every_pillar(author, total - start, start=start)
        for person in (chair, author):
            path = f"/calendar/{person.calendar_token}.ics"
            status, statements, _lines = statements_of(app, client, path)
            assert status == 200
            with app.app_context():
                assert len(_events(_feed(client, person))) == total
            counts[person.name, total] = statements
    for person in (chair, author):
        assert counts[person.name, 3] == counts[person.name, 30], counts
