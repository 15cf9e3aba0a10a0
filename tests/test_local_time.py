"""Dates in the reader's zone and language: three zones, two languages, across a DST change;
relative times rounded to the nearest; the zone chosen by the browser, then on /account/."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from models import AffirmationWindow, Round, User
from models.base import db
from models.clock import utcnow
from models.enums import StudyState, UserKind
from review import workflow
from review.infra import local_time
from tests.conftest import PASSWORD, parts
from tests.factories import complete_study

MOMENT = datetime(2026, 12, 16, 13, 4, tzinfo=UTC)
NNBSP = "\u202f"  # CLDR's narrow no-break space inside "a. m."


@pytest.mark.parametrize(
    ("zone", "locale", "expected"),
    [
        ("America/New_York", "en", "16 Dec 2026, 8:04 AM EST"),
        ("America/New_York", "es", f"16 dic 2026, 8:04 a.{NNBSP}m. EST"),
        ("America/Chicago", "en", "16 Dec 2026, 7:04 AM CST"),
        ("America/Chicago", "es", f"16 dic 2026, 7:04 a.{NNBSP}m. CST"),
        ("Europe/Madrid", "en", "16 Dec 2026, 2:04 PM CET"),
        ("Europe/Madrid", "es", f"16 dic 2026, 2:04 p.{NNBSP}m. CET"),
        ("UTC", "en", "16 Dec 2026, 1:04 PM UTC"),
    ],
)
def test_a_moment_reads_in_the_readers_zone_and_language(zone, locale, expected):
    assert local_time.show(MOMENT, zone, locale) == expected
    assert local_time.show(MOMENT.isoformat(), zone, locale) == expected


def test_across_a_daylight_saving_change():
    # 8 March 2026: the US springs forward; 29 March: Spain does.
    before, after = datetime(2026, 3, 1, 17, tzinfo=UTC), datetime(2026, 3, 15, 17, tzinfo=UTC)
    assert local_time.show(before, "America/Chicago") == "1 Mar 2026, 11:00 AM CST"
    assert local_time.show(after, "America/Chicago") == "15 Mar 2026, 12:00 PM CDT"
    assert local_time.show(after, "Europe/Madrid", "es") == f"15 mar 2026, 6:00 p.{NNBSP}m. CET"
    late = datetime(2026, 3, 30, 17, tzinfo=UTC)
    assert local_time.show(late, "Europe/Madrid", "es") == f"30 mar 2026, 7:00 p.{NNBSP}m. CEST"
    # Fourteen days across the change are fourteen days, though one of them had 23 hours.
    assert local_time.relative(after, "en", now=before) == "in 14 days"
    assert local_time.relative(after, "es", now=before) == "dentro de 14 días"


def test_a_date_alone_is_the_readers_day():
    late = datetime(2026, 12, 17, 3, 30, tzinfo=UTC)  # still the 16th in Chicago
    assert local_time.show(late, "America/Chicago", date_only=True) == "16 December 2026"
    assert local_time.show(late, "Europe/Madrid", "es", date_only=True) == "17 de diciembre de 2026"


def test_relative_times_are_not_cut_down():
    now = MOMENT
    almost = now + timedelta(days=13, hours=23)
    assert local_time.relative(almost, "en", now=now) == "in 14 days"
    assert local_time.relative(now + timedelta(days=14), "en", now=now) == "in 14 days"
    assert local_time.relative(now - timedelta(days=2, hours=20), "en", now=now) == "3 days ago"
    assert local_time.relative(now + timedelta(hours=5, minutes=40), "es", now=now) == (
        "dentro de 6 horas"
    )
    assert local_time.relative(now - timedelta(seconds=20), "en", now=now) == "just now"
    assert local_time.relative(now - timedelta(seconds=20), "es", now=now) == "ahora"


def test_unknown_zones_fall_back_to_utc_and_are_refused():
    assert not local_time.is_zone("Mars/Olympus_Mons")
    assert local_time.show(MOMENT, "Mars/Olympus_Mons") == "16 Dec 2026, 1:04 PM UTC"
    assert ("America/Chicago", "America/Chicago") in local_time.zone_choices()


def test_first_sign_in_takes_the_browsers_zone_then_keeps_the_persons(app, client, make_user):
    user = make_user()
    form = {"email": user.email, "password": PASSWORD, "time_zone": "America/Chicago"}
    assert client.post("/auth/login", data=form).status_code == 302
    db.session.expire_all()
    assert db.session.get(User, user.id).time_zone == "America/Chicago"
    client.post("/auth/logout")
    # A later sign-in from a browser elsewhere does not move the person's hours.
    assert client.post("/auth/login", data={**form, "time_zone": "Asia/Tokyo"}).status_code == 302
    db.session.expire_all()
    assert db.session.get(User, user.id).time_zone == "America/Chicago"


def test_a_browser_without_a_zone_leaves_utc(app, client, make_user):
    user = make_user()
    data = {"email": user.email, "password": PASSWORD, "time_zone": "Not/A_Zone"}
    assert client.post("/auth/login", data=data).status_code == 302
    db.session.expire_all()
    found = db.session.get(User, user.id)
    assert found.time_zone == "UTC" and found.time_zone_set_at is None


def _profile(user, **changes) -> dict:
    return {"name": user.name, "office": "", "jurisdiction": "", "state": "", **changes}


def test_account_page_sets_the_zone_and_names_the_field_when_unknown(
    app, client, make_user, login_as
):
    user = make_user()
    login_as(user)
    page = client.get("/account/").get_data(as_text=True)
    assert 'name="time_zone"' in page and "America/Chicago" in page
    response = client.post("/account/", data=_profile(user, time_zone="Mars/Base"))
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "Time zone: “Mars/Base” is not a time zone we know" in html
    assert 'value="' + user.name + '"' in html  # nothing typed is lost
    response = client.post("/account/", data=_profile(user, time_zone="Europe/Madrid"))
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(User, user.id).time_zone == "Europe/Madrid"


def test_pages_show_the_due_date_in_the_readers_zone(app, client, make_user, login_as, pillar):
    chair = make_user(cochair_of=pillar, time_zone="America/Chicago")
    author = make_user()
    study = complete_study(author, pillar=pillar)
    workflow.apply(study, "submit", author)
    db.session.commit()
    rnd = db.session.scalar(sa.select(Round).where(Round.study_id == study.id))
    login_as(chair)
    html = client.get(f"/cochair/studies/{study.id}").get_data(as_text=True)
    expected = local_time.show(rnd.due_at, "America/Chicago")
    assert expected.endswith(("CST", "CDT")) and expected in html
    assert "(in 14 days)" in html


def test_emails_show_the_deadline_in_the_recipients_zone(app, smtp, make_user, pillar):
    chicago = make_user(cochair_of=pillar, time_zone="America/Chicago")
    madrid = make_user(cochair_of=pillar, time_zone="Europe/Madrid")
    author = make_user()
    study = complete_study(author, pillar=pillar)
    workflow.apply(study, "submit", author)
    db.session.commit()
    due = db.session.scalar(sa.select(Round.due_at).where(Round.study_id == study.id))
    assert study.state == StudyState.submitted and due > utcnow()
    for person, zone in ((chicago, "America/Chicago"), (madrid, "Europe/Madrid")):
        (message,) = [m for m in smtp.to(person.email) if "review" in m["Subject"].lower()]
        text, html = parts(message)
        assert f"Deadline: {local_time.show(due, zone)}" in text
        assert local_time.show(due, zone) in html


@pytest.mark.browser
def test_the_browser_tells_its_zone_at_first_sign_in(browser, live_app, live_server):
    from tests.conftest import user_maker

    user = user_maker()(name="Sofía San Antonio")
    context = browser.new_context(timezone_id="America/Chicago", locale="es-US")
    page = context.new_page()
    page.set_default_timeout(10_000)
    try:
        page.goto(live_server.url + "/auth/login")
        assert page.input_value("input[name=time_zone]") == "America/Chicago"
        page.fill("#email", user.email)
        page.fill("#password", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_load_state()
        db.session.expire_all()
        assert db.session.get(User, user.id).time_zone == "America/Chicago"
        page.goto(live_server.url + "/account/")
        assert page.input_value("#time_zone") == "America/Chicago"
    finally:
        context.close()


def _next_chicago_change(after: datetime) -> datetime:
    """Return noon (Chicago) of the first day whose offset differs from the day before."""
    chicago = ZoneInfo("America/Chicago")
    day = after.astimezone(chicago).replace(hour=12, minute=0, second=0, microsecond=0)
    while (day + timedelta(days=1)).utcoffset() == day.utcoffset():
        day += timedelta(days=1)
    return day + timedelta(days=1)


def test_staff_type_a_new_closing_time_in_their_own_zone_across_dst(app, client, make_user):
    """A staffer in Chicago sees the window's closing in Chicago hours, types the new one in
    Chicago hours on the far side of a daylight-saving change, and it is stored in UTC with
    the offset of its own day (CST is UTC-6, CDT UTC-5)."""
    staffer = make_user(UserKind.staff, name="Sam Staff", time_zone="America/Chicago", locale="es")
    change = _next_chicago_change(utcnow() + timedelta(days=2))
    before = (change - timedelta(days=1)).replace(hour=10)  # 10:00 local, old offset
    after = (change + timedelta(days=2)).replace(hour=10)  # 10:00 local, new offset
    hours = {-6: "CST", -5: "CDT"}
    old_offset, new_offset = (int(d.utcoffset().total_seconds() // 3600) for d in (before, after))
    assert {old_offset, new_offset} == set(hours)
    study = complete_study(
        make_user(), state=StudyState.in_affirmation, current_round=1, title="Tenant counsel"
    )
    closes = datetime(before.year, before.month, before.day, 10 - old_offset, tzinfo=UTC)
    window = AffirmationWindow(
        study_id=study.id, round_number=1, opened_at=utcnow(), closes_at=closes
    )
    db.session.add(window)
    db.session.commit()
    client.post("/auth/login", data={"email": staffer.email, "password": PASSWORD})

    html = client.get(f"/staff/studies/{study.id}").get_data(as_text=True)
    assert "Nueva hora de cierre (America/Chicago)" in html
    assert f'value="{before:%Y-%m-%d}T10:00"' in html  # the current closing, in Chicago hours
    typed = f"{after:%Y-%m-%d}T10:00"
    response = client.post(
        f"/staff/studies/{study.id}/extend",
        data={"extend-closes_at": typed, "extend-reason": "Holiday week"},
    )
    assert response.status_code == 302
    db.session.expire_all()
    stored = db.session.get(AffirmationWindow, window.id).closes_at
    assert stored == datetime(after.year, after.month, after.day, 10 - new_offset, tzinfo=UTC)
    assert stored - closes == timedelta(days=3, hours=old_offset - new_offset)
