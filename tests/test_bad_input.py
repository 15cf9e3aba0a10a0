"""Bad input on every form built so far (sign-in, reset, invitation, request access, the
account page): empty, huge, wrong types, odd Unicode and undecodable bytes. Never a 500; an
error that names the field; over the body limit, a 413."""

import io
from urllib.parse import quote

import pytest
import sqlalchemy as sa

from models import AccessRequest, User
from models.base import db
from models.enums import UserKind
from review import accounts
from tests.conftest import PASSWORD

ODD = {
    "nul": "Ana\x00Ruiz",
    "rtl": "\u202eevil\u202c name \u200f",
    "emoji": "🏳️‍🌈 Budget 👩🏽‍⚖️",
    "combining": "Z\u0351\u0352a\u0353l\u0354g\u0355o" * 20,
    "newlines": "line one\r\nline two\n\t",
    "html": "<script>alert(1)</script>\"'&",
}


@pytest.fixture
def web(app_factory, app):
    """A client of an app whose sign-in limit does not get in the way of many posts."""
    return app_factory(LOGIN_RATE_LIMIT="10000 per minute").test_client()


@pytest.fixture
def forms(web, make_user):
    """Return {name: (path, {field: label}, required fields, client)} for every form."""
    member = make_user()
    invited = accounts.invite(
        email="inv@example.org", name="Inv", kind=UserKind.member, invited_by=None
    )
    db.session.commit()
    reset_token = accounts.make_token("reset", member)
    invite_token = accounts.make_token("invite", invited)
    anonymous = web
    signed_in = web.application.test_client()
    assert (
        signed_in.post(
            "/auth/login", data={"email": member.email, "password": PASSWORD}
        ).status_code
        == 302
    )
    return {
        "login": ("/auth/login", {"email": "Email", "password": "Password"}, anonymous),
        "reset_request": ("/auth/reset", {"email": "Email"}, anonymous),
        "reset": (
            f"/auth/reset/{reset_token}",
            {"password": "New password", "confirm": "Repeat the new password"},
            anonymous,
        ),
        "invite": (
            f"/auth/invite/{invite_token}",
            {"name": "Your name", "password": "New password", "confirm": "Repeat the new password"},
            anonymous,
        ),
        "request_access": (
            "/auth/request-access",
            {
                "name": "Your name",
                "email": "Email",
                "kind": "I am",
                "office": "Office (if elected)",
                "jurisdiction": "Jurisdiction or organisation",
                "us_state": "State",
                "message": "Anything staff should know",
            },
            anonymous,
        ),
        "profile": (
            "/account/",
            {
                "name": "Name",
                "office": "Office",
                "jurisdiction": "Jurisdiction",
                "us_state": "State",
                "organisation": "Organisation",
            },
            signed_in,
        ),
        "email": (
            "/account/email",
            {
                "email-new_email": "New email address",
                "email-current_password": "Your current password",
            },
            signed_in,
        ),
        "password": (
            "/account/password",
            {
                "pw-current_password": "Current password",
                "pw-password": "New password",
                "pw-confirm": "Repeat the new password",
            },
            signed_in,
        ),
    }


def text(response) -> str:
    return response.get_data(as_text=True)


def assert_handled(response) -> None:
    assert response.status_code != 500, text(response)[:2000]
    assert response.status_code in (200, 302, 400, 413), response.status_code


def test_empty_form_names_every_missing_field(forms):
    for _name, (path, fields, client) in forms.items():
        response = client.post(path, data={field: "" for field in fields})
        assert response.status_code == 200
        page = text(response)
        assert "This field is required." in page
        first_label = next(iter(fields.values()))
        assert f"{first_label}: This field is required." in page


def test_nothing_posted_at_all(forms):
    for _name, (path, _fields, client) in forms.items():
        response = client.post(path)
        assert_handled(response)
        assert response.status_code == 200 and "This field is required." in text(response)


def test_huge_values_are_refused_by_name(forms):
    for _name, (path, fields, client) in forms.items():
        huge = "é" * 5000
        response = client.post(path, data={field: huge for field in fields})
        assert_handled(response)
        assert response.status_code == 200
        page = text(response)
        assert any(f"{label}: " in page for label in fields.values())
        assert "cannot be longer than" in page or "at most" in page or "Invalid" in page


def test_odd_unicode_never_breaks_a_form(forms):
    for _name, (path, fields, client) in forms.items():
        for odd in ODD.values():
            response = client.post(path, data={field: odd for field in fields})
            assert_handled(response)
            assert "<script>alert(1)</script>" not in text(response)


# a lone surrogate UTF-8-encoded (not valid UTF-8), bytes that are no UTF-8 and a NUL,
# an emoji cut in half
RAW = [b"%ED%A0%80", b"%FF%FE%00", b"%F0%9F%98"]


def test_undecodable_bytes_never_break_a_form(forms):
    for _name, (path, fields, client) in forms.items():
        for raw in RAW:
            body = b"&".join(quote(field).encode() + b"=" + raw for field in fields)
            response = client.post(
                path, data=body, content_type="application/x-www-form-urlencoded"
            )
            assert_handled(response)


def test_wrong_types_never_break_a_form(forms):
    for _name, (path, fields, client) in forms.items():
        # repeated keys, a file where text belongs, a bogus choice, JSON instead of a form
        data = {field: ["one", "two"] for field in fields}
        assert_handled(client.post(path, data=data))
        data = {field: (io.BytesIO(b"%PDF-1.4"), "x.pdf") for field in fields}
        assert_handled(client.post(path, data=data, content_type="multipart/form-data"))
        assert_handled(client.post(path, json={field: {"nested": [1, 2]} for field in fields}))
        assert_handled(client.post(path, json=[1, 2, {"a": None}]))
        assert_handled(client.post(path, data=b"{not json", content_type="application/json"))
        assert_handled(client.post(path, data=b"\x00\xff" * 100, content_type="text/plain"))


def test_bogus_choices_are_named(forms):
    path, _fields, client = forms["request_access"]
    response = client.post(
        path, data={"name": "A", "email": "a@example.org", "kind": "staff", "us_state": "Atlantis"}
    )
    page = text(response)
    assert "I am: Not a valid choice." in page and "State: Not a valid choice." in page
    assert db.session.scalar(sa.select(sa.func.count(AccessRequest.id))) == 0


def test_bad_emails_are_named(forms):
    path, _fields, client = forms["request_access"]
    for bad in ("not-an-email", "a@", "@b.org", "a b@c.org", "x" * 250 + "@example.org"):
        response = client.post(path, data={"name": "A", "email": bad, "kind": "member"})
        assert response.status_code == 200
        assert "Email: " in text(response), bad


def test_nul_bytes_are_dropped_before_they_reach_the_database(forms):
    path, _fields, client = forms["request_access"]
    response = client.post(
        path,
        data={
            "name": "Ana\x00 Ruiz",
            "email": "ana@example.org",
            "kind": "member",
            "message": "hi\x00there",
        },
    )
    assert response.status_code == 302
    row = db.session.scalar(sa.select(AccessRequest))
    assert (row.name, row.message) == ("Ana Ruiz", "hithere")


def test_emoji_and_rtl_are_kept_as_typed(forms, make_user):
    path, _fields, client = forms["profile"]
    name = "Ana 🌵 \u200fرويز"
    assert client.post(path, data={"name": name}).status_code == 302
    assert db.session.scalar(sa.select(User).where(User.name == name)) is not None


def test_oversized_bodies_are_413_on_every_form(forms, app):
    limit = app.config["MAX_CONTENT_LENGTH"]
    for path, fields, client in forms.values():
        first = next(iter(fields))
        response = client.post(path, data={first: "x" * (limit + 10)})
        assert response.status_code == 413, path
        assert "Too large" in text(response)


def test_bad_query_strings_never_break_a_page(web):
    for query in ("next=%00", "next=%ED%A0%80", "next=javascript:alert(1)", "next=" + "a" * 9000):
        response = web.get("/auth/login?" + query)
        assert response.status_code == 200, query


def test_bad_tokens_in_links_are_refused_kindly(web):
    for path in (
        "/auth/reset/x",
        "/auth/invite/%00",
        "/account/email/" + "a" * 3000,
        "/auth/reset/%ED%A0%80",
    ):
        response = web.get(path)
        assert response.status_code in (302, 404), path
