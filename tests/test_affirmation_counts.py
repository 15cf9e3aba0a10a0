"""The affirmation page counts in SQL: the same statements for 3 votes as for 300 (issue 17).

Its tally (votes per choice) and the live count of eligible members are grouped counts that
indexes answer alone (migration 0009_perf_counts); no vote is ever loaded to show them.
"""

import re

import sqlalchemy as sa

from models import User, Vote
from models.base import db
from models.clock import utcnow
from models.enums import UserKind, VoteChoice
from tests.conftest import _PASSWORD_HASH
from tests.test_affirmation import client_of, open_affirmation
from tests.test_statement_counts import statements_of

# Who requests the page: staff and the pillar's co-chair see the live tally, a member votes.
VIEWERS = ("staff", "cochair", "member")


def _voters(window, first: int, n: int) -> None:
    """Add `n` members and a vote from each: two in three affirm, the others object."""
    now = utcnow()
    users = [
        User(
            kind=UserKind.member,
            email=f"voter{first + i}@example.org",
            name=f"Voter {first + i}",
            password_hash=_PASSWORD_HASH,
            created_at=now,
        )
        for i in range(n)
    ]
    db.session.add_all(users)
    db.session.flush()
    db.session.add_all(
        Vote(
            window_id=window.id,
            user_id=user.id,
            choice=VoteChoice.object if (first + i) % 3 == 2 else VoteChoice.affirm,
            reason="Not yet." if (first + i) % 3 == 2 else "",
        )
        for i, user in enumerate(users)
    )
    db.session.commit()


def _measure(app, study_id, clients) -> dict[str, tuple[int, int, list[str]]]:
    out = {}
    for role, client in clients.items():
        statements_of(app, client, f"/affirmation/{study_id}")  # the first visit may write
        out[role] = statements_of(app, client, f"/affirmation/{study_id}")
    return out


def test_affirmation_page_statements_are_the_same_for_3_and_300_votes(app, make_user, pillar):
    people = {
        "author": make_user("member"),
        "coauthor": make_user("partner"),
        "cochair": make_user("member", cochair_of=pillar),
        "member": make_user("member"),
        "staff": make_user("staff"),
    }
    study, window = open_affirmation(people, pillar)
    study_id = study.id
    clients = {role: client_of(app, people[role]) for role in VIEWERS}
    _voters(window, 0, 3)
    few = _measure(app, study_id, clients)
    _voters(window, 3, 297)
    many = _measure(app, study_id, clients)
    for role in VIEWERS:
        status, count, lines = few[role]
        status_after, count_after, lines_after = many[role]
        assert status == status_after == 200, role
        assert count == count_after, (role, count, count_after, set(lines_after) - set(lines))

    # The counts are right: 200 affirm and 100 object of the 300, shown to staff.
    page = clients["staff"].get(f"/affirmation/{study_id}").get_data(as_text=True)
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page))
    assert "200 affirm · 100 object" in text
    eligible = db.session.scalar(
        sa.select(sa.func.count()).where(User.kind == UserKind.member, User.is_active.is_(True))
    )
    # Every active member but the author (the co-author is a partner) may vote.
    assert f"300 of {eligible - 1} eligible members voted" in text
