"""Golden tests: every email template, rendered for a sample event, matches a reviewed fixture.

The fixtures are tests/golden/<kind>.txt and <kind>.html. After changing a template (or
adding one), regenerate them, read the diff, and commit what you reviewed:

    UPDATE_GOLDEN=1 .venv/bin/pytest -q tests/test_email_golden.py
"""

import os
import re
from pathlib import Path

import pytest

from models import Notification
from models.enums import NotificationCategory
from review.app import create_app
from review.notify import network_context
from workers.mail import render

GOLDEN = Path(__file__).resolve().parent / "golden"
TEMPLATES = Path(__file__).resolve().parent.parent / "templates" / "email"
KINDS = sorted(p.stem for p in TEMPLATES.glob("*.txt") if not p.name.startswith("_"))
UPDATE = bool(os.environ.get("UPDATE_GOLDEN"))

# One sample event, with every value a template of ours reads; kinds add what is theirs.
SAMPLE = {
    "name": "Rosa Parks-Lee",
    "title": "Right to counsel for tenants",
    "pillar": "Reimagine Thriving Communities",
    "state": "In review",
    "round": 2,
    "actor": "Maya Chen",
    "comment": "Thank you: the timeline is much clearer now.",
    "reason": "The study duplicates one already in the library.",
    "summary": "Takoma Park guaranteed a lawyer to every tenant facing eviction.",
    "place": "Takoma Park, MD",
    "due_at": "2026-03-14T17:00:00+00:00",
    "closes_at": "2026-04-01T12:00:00+00:00",
    "reviews": 1,
    "quorum": 2,
    "waiting": ["Chair One", "Chair Two"],
    "items": [
        {
            "section": "Timeline",
            "level": "Required",
            "source": "Co-chair",
            "body": "Add the date the council first heard the bill.",
        },
        {
            "section": "Outcomes and impact",
            "level": "Suggestion",
            "source": "Network objection",
            "body": "Say how many tenants had a lawyer in the first year.",
        },
    ],
    "comments": ["Strong study; the stakeholder table needs the landlord association."],
    "changed": ["Timeline", "Outcomes and impact"],
    "resubmitted": True,
    "tally": {"approve": 1, "request_changes": 1, "decline": 0},
    "affirm_count": 14,
    "object_count": 3,
    "objections": ["The outcomes are not yet measured."],
    "public_path": "/library/takoma-park-right-to-counsel",
    "can_vote": True,
    "invited_by": "Local Progress staff",
    "new_email": "rosa.new@example.org",
}
PATHS = {
    "password_reset": "/auth/reset/TOKEN",
    "invitation": "/auth/invite/TOKEN",
    "email_change": "/account/email/TOKEN",
    "digest": "/account/notifications",
    "newly_published": "/library/takoma-park-right-to-counsel",
    "affirmation_opened": "/affirmation/12",
    "affirmation_closing": "/affirmation/12",
}
DIGEST_ITEMS = [
    {
        "subject": "Open for network affirmation: “Participatory budgeting” (In network "
        "affirmation)",
        "summary": "Residents decide how to spend $1M a year.",
        "link": "http://reimagine.test/affirmation/12",
        "at": "2026-03-01T09:00:00+00:00",
    },
    {
        "subject": "Newly published in Reimagine Our Economy: “Community benefits” (Published)",
        "summary": "",
        "link": "http://reimagine.test/library/detroit-cba",
        "at": "2026-03-01T15:00:00+00:00",
    },
]
NETWORK = {"affirmation_opened", "affirmation_closing", "newly_published", "digest"}


@pytest.fixture(scope="module")
def email_app():
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": "sqlite://",
            "SECRET_KEY": "test-secret",
            "PUBLIC_BASE_URL": "http://reimagine.test",
        }
    )
    with app.app_context():
        yield app


def sample(kind: str) -> Notification:
    context = {**SAMPLE, "path": PATHS.get(kind, "/studies/12")}
    if kind == "digest":
        context["items"] = DIGEST_ITEMS
    category = NotificationCategory.account
    if kind in NETWORK:
        category = NotificationCategory.network
        context = network_context(7, context)
    return Notification(
        kind=kind,
        context=context,
        category=category,
        subject=f"Sample subject for {kind}",
        email="rosa@example.org",
    )


def test_every_kind_has_both_parts():
    htmls = {p.stem for p in TEMPLATES.glob("*.html") if not p.name.startswith("_")}
    assert set(KINDS) == htmls


@pytest.mark.parametrize("kind", KINDS)
def test_template_matches_its_reviewed_fixture(email_app, kind):
    text, html = render(sample(kind))
    # every email: an absolute link, inline styles only, no external assets
    assert "http://reimagine.test/" in text
    assert 'href="http://reimagine.test/' in html
    assert "<style" not in html and "<link" not in html and "<script" not in html
    assert not re.search(r"""src=["']https?://""", html)
    assert " class=" not in html
    if kind in NETWORK:
        assert "/account/unsubscribe/" in text and "/account/unsubscribe/" in html
    for suffix, body in (("txt", text), ("html", html)):
        path = GOLDEN / f"{kind}.{suffix}"
        if UPDATE:
            GOLDEN.mkdir(exist_ok=True)
            path.write_text(body)
            continue
        assert path.exists(), f"no fixture for {kind}: run UPDATE_GOLDEN=1 and review it"
        assert body == path.read_text(), (
            f"{kind}.{suffix} differs from its fixture: review, then UPDATE_GOLDEN=1"
        )
