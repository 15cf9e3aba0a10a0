"""Who may open what: every role against every route of the foundation (auth, account, main),
and a real browser signing in as each demo role and seeing that role's navigation."""

import pytest
from flask import current_app

from models.base import db
from review import demo
from tests.conftest import PASSWORD

ROLES = ["visitor", "member", "partner", "cochair", "staff"]
SIGNED_IN = ROLES[1:]
ALL = {role: 200 for role in ROLES}
LOGIN = "login"  # a redirect to the sign-in page


def everyone(code):
    return dict.fromkeys(ROLES, code)


# (method, path, endpoint) → expected answer per role.
MATRIX = [
    ("GET", "/", "main.home", ALL),
    ("GET", "/healthz", "main.healthz", ALL),
    ("GET", "/case-studies/some-study", "main.old_site", everyone(301)),
    ("POST", "/language", "main.language", everyone(303)),
    ("GET", "/language", "main.language", everyone(405)),
    ("GET", "/auth/login", "auth.login", {"visitor": 200, **dict.fromkeys(SIGNED_IN, 302)}),
    ("POST", "/auth/logout", "auth.logout", {"visitor": LOGIN, **dict.fromkeys(SIGNED_IN, 302)}),
    ("GET", "/auth/logout", "auth.logout", everyone(405)),
    ("GET", "/auth/reset", "auth.reset_request", ALL),
    ("GET", "/auth/reset/not-a-token", "auth.reset", everyone(302)),
    ("GET", "/auth/invite/not-a-token", "auth.invite", everyone(302)),
    ("GET", "/auth/request-access", "auth.request_access", ALL),
    ("GET", "/account/", "account.index", {"visitor": LOGIN, **dict.fromkeys(SIGNED_IN, 200)}),
    ("POST", "/account/", "account.index", {"visitor": LOGIN, **dict.fromkeys(SIGNED_IN, 200)}),
    ("GET", "/account/email", "account.change_email", everyone(405)),
    (
        "POST",
        "/account/email",
        "account.change_email",
        {"visitor": LOGIN, **dict.fromkeys(SIGNED_IN, 200)},
    ),
    ("GET", "/account/password", "account.change_password", everyone(405)),
    (
        "POST",
        "/account/password",
        "account.change_password",
        {"visitor": LOGIN, **dict.fromkeys(SIGNED_IN, 200)},
    ),
    ("GET", "/account/email/not-a-token", "account.confirm_email", everyone(302)),
    (
        "GET",
        "/account/notifications",
        "account.notifications",
        {"visitor": LOGIN, **dict.fromkeys(SIGNED_IN, 200)},
    ),
    ("GET", "/account/unsubscribe/not-a-token", "account.unsubscribe", everyone(404)),
    (
        "POST",
        "/account/sessions/0123456789abcdef/end",
        "account.end_session",
        {"visitor": LOGIN, **dict.fromkeys(SIGNED_IN, 302)},
    ),
    ("GET", "/account/sessions/0123456789abcdef/end", "account.end_session", everyone(405)),
    (
        "POST",
        "/account/calendar/reset",
        "account.reset_calendar",
        {"visitor": LOGIN, **dict.fromkeys(SIGNED_IN, 302)},
    ),
    ("GET", "/account/calendar/reset", "account.reset_calendar", everyone(405)),
    (
        "POST",
        "/account/sessions/end-others",
        "account.end_other_sessions",
        {"visitor": LOGIN, **dict.fromkeys(SIGNED_IN, 302)},
    ),
]


@pytest.fixture
def people(make_user, pillar):
    return {
        "member": make_user("member"),
        "partner": make_user("partner"),
        "cochair": make_user("member", cochair_of=pillar),
        "staff": make_user("staff"),
    }


def test_the_matrix_covers_every_foundation_route(app):
    covered = {endpoint for _m, _p, endpoint, _e in MATRIX}
    foundation = {
        rule.endpoint
        for rule in current_app.url_map.iter_rules()
        if rule.endpoint.split(".")[0] in {"auth", "account", "main"}
    }
    assert foundation <= covered, f"add these routes to MATRIX: {foundation - covered}"


def test_every_role_against_every_route(app, people):
    clients = {"visitor": app.test_client()}
    for role in SIGNED_IN:
        clients[role] = app.test_client()
        response = clients[role].post(
            "/auth/login", data={"email": people[role].email, "password": PASSWORD}
        )
        assert response.status_code == 302
    problems = []
    for method, path, _endpoint, expected in MATRIX:
        if path == "/auth/logout" and method == "POST":
            continue  # signing out would end the sessions the rest of the matrix uses
        for role in ROLES:
            response = clients[role].open(path, method=method)
            want = expected[role]
            got = response.status_code
            if want == LOGIN:
                ok = got == 302 and response.headers["Location"].startswith("/auth/login")
            else:
                ok = got == want
            if not ok:
                problems.append(f"{role} {method} {path}: {got}, expected {want}")
    assert not problems, "\n".join(problems)


def test_sign_out_route_for_each_role(app, people):
    assert app.test_client().post("/auth/logout").headers["Location"].startswith("/auth/login")
    for role in SIGNED_IN:
        client = app.test_client()
        client.post("/auth/login", data={"email": people[role].email, "password": PASSWORD})
        response = client.post("/auth/logout")
        assert response.status_code == 302 and response.headers["Location"] == "/"


# ---------------------------------------------------------------- the browser

EXPECTED_NAV = {
    "staff@example.org": ["Library", "Committed officials", "Staff", "Account"],
    "cochair4@example.org": [
        "Library",
        "Committed officials",
        "My studies",
        "Affirmation",
        "Co-chair review",
        "Account",
    ],
    "member7@example.org": [
        "Library",
        "Committed officials",
        "My studies",
        "Affirmation",
        "Account",
    ],
    "partner2@example.org": [
        "Library",
        "Committed officials",
        "My studies",
        "Affirmation",
        "Account",
    ],
}
ENDPOINTS = {
    "Library": "library.index",
    "Committed officials": "commitments.index",
    "My studies": "studies.index",
    "Affirmation": "affirmation.index",
    "Co-chair review": "cochair.index",
    "Staff": "staff.index",
    "Account": "account.index",
}


@pytest.mark.browser
def test_each_demo_role_signs_in_and_sees_its_navigation(
    live_app, live_server, page, browser_login
):
    demo.seed()
    db.session.commit()
    built = set(live_app.view_functions)

    def nav() -> list[str]:
        return [t.strip() for t in page.locator("header nav a").all_inner_texts()]

    page.goto(live_server.url + "/")
    visitor = nav()
    assert visitor[0] == "Home" and "Account" not in visitor and "Staff" not in visitor
    assert page.locator("header .who a", has_text="Sign in").count() == 1

    for email, labels in EXPECTED_NAV.items():
        browser_login(email, demo.PASSWORD)
        assert page.locator("header .who button", has_text="Sign out").count() == 1, email
        expected = ["Home"] + [label for label in labels if ENDPOINTS[label] in built]
        assert nav() == expected, email
        page.click("header nav a:text('Account')")
        assert page.locator("h1").inner_text() == "Your account"
        assert email in page.locator("main").inner_text()
        page.click("header .who button")
        page.wait_for_load_state()
        assert "You are signed out." in page.locator("main").inner_text()
        assert "Account" not in nav()


@pytest.mark.browser
def test_account_page_works_in_the_browser_with_csrf(
    live_app, live_server, page, browser_login, make_user_live
):
    user = make_user_live
    browser_login(user.email)
    page.goto(live_server.url + "/account/")
    page.fill("#office", "County Commissioner")
    page.click("text=Save the profile")
    page.wait_for_load_state()
    assert "Your profile is saved." in page.locator("main").inner_text()
    assert page.input_value("#office") == "County Commissioner"
    page.fill("#pw-current_password", "wrong password")
    page.fill("#pw-password", "a new long passphrase")
    page.fill("#pw-confirm", "a new long passphrase")
    page.click("text=Change the password")
    page.wait_for_load_state()
    assert "Current password: The current password is not right." in page.inner_text("main")


@pytest.fixture
def make_user_live(live_app):
    from models import User
    from models.clock import utcnow
    from models.enums import UserKind
    from tests.conftest import _PASSWORD_HASH

    user = User(
        email="browser@example.org",
        name="Browser Person",
        kind=UserKind.member,
        password_hash=_PASSWORD_HASH,
        created_at=utcnow(),
    )
    db.session.add(user)
    db.session.commit()
    return user
