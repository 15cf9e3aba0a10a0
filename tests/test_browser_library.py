"""A visitor in a real browser: search, combine two facets, open a study, follow the state map."""

import sqlalchemy as sa

from models import Pillar, User
from models.base import db
from models.clock import utcnow
from models.enums import GovernmentType, StudyKind, UserKind
from tests.publishing import published_study


def test_search_facets_study_and_map(live_server, page):
    author = User(
        email="author@example.org", name="Ann Author", kind=UserKind.member, created_at=utcnow()
    )
    db.session.add(author)
    db.session.commit()
    pillars = db.session.scalars(sa.select(Pillar).order_by(Pillar.position)).all()
    specs = [
        ("Fare-free buses", "Kansas City", "MO", StudyKind.policy_win, ("transit",)),
        ("Transit riders union", "Seattle", "WA", StudyKind.organizing_example, ("transit",)),
        ("Transit equity plan", "Tacoma", "WA", StudyKind.policy_win, ("transit", "equity")),
        ("Right to counsel", "Takoma Park", "MD", StudyKind.policy_win, ("housing",)),
    ]
    for i, (title, place, state, kind, topics) in enumerate(specs):
        published_study(
            author,
            title=title,
            place=place,
            state_code=state,
            kind=kind,
            topics=topics,
            pillar=pillars[i % 2],
            government_type=GovernmentType.city,
        )

    page.goto(live_server.url + "/library")
    page.fill("#q", "transit")
    page.click("form.search button[type=submit]")
    page.wait_for_url("**/library?*q=transit*")
    assert page.locator(".study-card").count() == 3

    page.click("#facet-state a[data-value=WA]")
    page.wait_for_url("**state=WA*")
    assert page.locator(".study-card").count() == 2
    page.click("#facet-kind a[data-value=policy_win]")
    page.wait_for_url("**kind=policy_win*")
    assert "q=transit" in page.url and "state=WA" in page.url
    assert page.locator(".study-card").count() == 1
    assert page.locator(".result-count strong").inner_text() == "1"

    page.click(".study-card h3 a")
    page.wait_for_url("**/library/tacoma-*")
    assert page.locator("h1").inner_text() == "Transit equity plan"
    assert page.locator(".timeline-line li").count() == 2
    assert page.locator("table.stakeholders tbody tr").count() == 1

    page.goto(live_server.url + "/library")
    page.click(".state-map a[data-state=MO]")
    page.wait_for_url("**/library?state=MO")
    assert page.locator(".study-card h3").all_inner_texts() == ["Fare-free buses"]
