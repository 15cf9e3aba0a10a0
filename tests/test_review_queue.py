"""The co-chair queue at size: the same few statements for 5 and 500 studies in the pillar,
and the decided list paged by the database, newest first (issue 17)."""

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from models import CaseStudy, Round, StudyAuthor
from models.base import db
from models.clock import utcnow
from models.enums import Recommendation, StudyState
from review import review_queue, workflow
from tests.factories import complete_study
from tests.sweep import sign_in as signed_in
from tests.test_library import count_statements


def add_studies(pillar, author, n: int, *, open_every: int = 0, title: str = "Bulk") -> None:
    """Insert `n` studies with a round each, in bulk: declined (decided) ones, and every
    `open_every`-th one submitted and waiting; the newest decided has the highest number."""
    if not n:
        return
    now = utcnow()
    first = db.session.scalar(sa.select(sa.func.coalesce(sa.func.max(CaseStudy.id), 0))) + 1
    is_open = [bool(open_every) and i % open_every == 0 for i in range(n)]
    db.session.execute(
        sa.insert(CaseStudy),
        [
            dict(
                id=first + i,
                title=f"{title} {i}",
                pillar_id=pillar.id,
                place="Bulkton",
                state=StudyState.submitted if is_open[i] else StudyState.declined,
                current_round=1,
                created_by_id=author.id,
                created_at=now,
                updated_at=now,
                state_changed_at=now - timedelta(days=n - i),
                version=1,
            )
            for i in range(n)
        ],
    )
    db.session.execute(
        sa.insert(StudyAuthor),
        [
            dict(study_id=first + i, user_id=author.id, position=0, is_submitter=True)
            for i in range(n)
        ],
    )
    db.session.execute(
        sa.insert(Round),
        [
            dict(
                study_id=first + i,
                number=1,
                opened_at=now - timedelta(days=20),
                due_at=now + timedelta(days=i % 7) if is_open[i] else now - timedelta(days=6),
                decided_at=None if is_open[i] else now - timedelta(days=n - i),
                decision=None if is_open[i] else Recommendation.decline,
                tally=None if is_open[i] else {"decline": 2},
            )
            for i in range(n)
        ],
    )
    db.session.commit()


def section(html: str, name: str) -> str:
    after = html.split(f'id="{name}"')[1]
    return after.split("<section")[0]


def rows(html: str, name: str) -> int:
    return max(0, section(html, name).count("<tr") - 1)  # the header row, when there is a table


@pytest.fixture
def chairs(make_user, pillar):
    pillar.review_quorum = 2
    db.session.commit()
    return [make_user("member", cochair_of=pillar, name=f"Chair {n}") for n in "ABC"]


def test_cochair_queue_costs_the_same_statements_for_5_and_500_studies(
    app, make_user, pillar, chairs
):
    author = make_user("member", name="Ana Author")
    for i in range(5):
        study = complete_study(author, pillar, title=f"Real {i}")
        workflow.apply(study, "submit", author)
        if i % 2:
            workflow.apply(study, "review", chairs[1], recommendation="approve", overall="ok")
        db.session.commit()
    client = signed_in(app, chairs[0])
    counts, pages = [], []
    for grow in (0, 495):
        add_studies(pillar, author, grow, open_every=5)
        client.get("/cochair/")  # warm caches (templates, the session's first load)
        with count_statements() as seen:
            page = client.get("/cochair/")
        assert page.status_code == 200
        counts.append(len(seen))
        pages.append(page.text)
    assert counts[0] == counts[1] <= 4, counts
    assert rows(pages[0], "waiting-for-me") == 5 and rows(pages[0], "decided") == 0
    assert rows(pages[1], "waiting-for-me") == 5 + 99
    assert rows(pages[1], "decided") == review_queue.DECIDED_SHOWN
    decided = section(pages[1], "decided")
    assert "Bulk 494" in decided and "Bulk 1 " not in decided  # the newest decisions first
    assert 'rel="next" href="/cochair/?decided=2#decided"' in decided
    # Overdue rounds first, then the soonest due: the page's order is the database's.
    dues = re.findall(r'<time datetime="([^"]+)">', section(pages[1], "waiting-for-me"))
    assert dues == sorted(dues)


def test_decided_list_is_paged_by_the_database(app, make_user, pillar, chairs, monkeypatch):
    monkeypatch.setattr(review_queue, "DECIDED_SHOWN", 4)
    add_studies(pillar, make_user("member"), 10)
    client = signed_in(app, chairs[0])
    client.get("/cochair/")
    counts = []
    for number, shown in ((1, [9, 8, 7, 6]), (2, [5, 4, 3, 2]), (3, [1, 0])):
        with count_statements() as seen:
            page = client.get(f"/cochair/?decided={number}")
        counts.append(len(seen))
        decided = section(page.text, "decided")
        assert re.findall(r">Bulk (\d+)</a>", decided) == [str(n) for n in shown]
        assert ('rel="next"' in decided) == (number < 3)
        assert ('rel="prev"' in decided) == (number > 1)
    assert len(set(counts)) == 1, counts
    beyond = client.get("/cochair/?decided=4")
    assert "No older decisions." in section(beyond.text, "decided")
    for junk in ("0", "-3", "x", str(10**30)):
        page = client.get(f"/cochair/?decided={junk}")
        assert page.status_code == 200, junk


def test_each_study_counts_its_own_eligible_cochairs(app, make_user, pillar, chairs):
    """A conflict on one study lowers that study's quorum only (capped at who may review)."""
    pillar.review_quorum = 3
    db.session.commit()
    author = make_user("member")
    conflicted = complete_study(author, pillar, title="Conflicted one")
    plain = complete_study(author, pillar, title="Plain one")
    for study in (conflicted, plain):
        workflow.apply(study, "submit", author)
    workflow.apply(conflicted, "declare_conflict", chairs[2], comment="I advised the campaign")
    db.session.commit()
    page = signed_in(app, chairs[0]).get("/cochair/").text
    waiting = section(page, "waiting-for-me")
    row = {title: waiting.split(title)[1].split("</tr>")[0] for title in ("Conflicted", "Plain")}
    assert ">0 of 2" in row["Conflicted"] and ">0 of 3" in row["Plain"]
