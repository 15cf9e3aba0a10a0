"""A network at scale, written with bulk INSERTs: the data the pages of issue 17 are timed on.

`World.grow(n)` brings the database to n case studies, keeping what is there, so one database
is measured at 10^3, then 10^4, then 10^5 studies. What a co-chair, a member or staff has open
(studies waiting for review, open votes) is a fixed set written first; what grows is history:
published, declined, withdrawn studies and drafts, each with the rounds, reviews, windows,
votes, notifications and audit events its path through the workflow left.

- 2 staff, 15 co-chairs (3 a pillar), 3,200 members and 100 partners, one password for all;
- the fixed set (ids 1–70): per pillar 4 submitted, 4 in review (1 review), 2 changes
  requested, 2 in affirmation, 2 affirmed; study 51's window (pillar 1) holds 3,000 votes;
- member 1 (`author@bench.example`) authors 24 studies, of every state;
- the rest: 85 % published, 7 % drafts, 4 % declined, 4 % withdrawn; every submitted one has a
  round (decided with 2 reviews unless withdrawn), two sent notifications and audit events;
  each published one a closed window with 3 votes and a row in the search index. Each study's
  text holds one of 100 medium-frequency words (1 % of the studies each).
"""

from datetime import timedelta

import sqlalchemy as sa

from models import (
    AffirmationWindow,
    AuditEvent,
    CaseStudy,
    CochairAssignment,
    Notification,
    Review,
    Round,
    StudyAuthor,
    Topic,
    User,
    Vote,
    study_topics,
)
from models.base import db
from models.clock import utcnow
from models.enums import US_STATES
from models.pillar import seed_pillars
from review import library
from review.infra.passwords import hash_password
from review.library import facet_counts
from review.workflow import stays

PASSWORD = "bench-password-17"
MEMBERS = 3_200
PARTNERS = 100
VOTES_ON_VOTED = 3_000
AUTHOR_STUDIES = 24
# Studies 86–99 (drafts, then declined and withdrawn ones: see _history_state) are member 1's.
AUTHOR_FIRST = 85
SAVED_STUDY = AUTHOR_FIRST + 1
# The first study in affirmation (pillar 1): the one whose window holds the 3,000 votes.
VOTED_STUDY = 51
CHUNK = 5_000
MEDIUM = [f"theme{i:02d}" for i in range(100)]
TOPICS = [
    "housing",
    "transit",
    "budget",
    "youth",
    "zoning",
    "health",
    "labor",
    "elections",
    "food access",
    "climate",
    "childcare",
    "public safety",
]
GOVS = ["city", "county", "town", "school_district", "special_district", "tribal", "state"]
BANDS = ["under_10k", "10k_50k", "50k_250k", "250k_1m", "over_1m"]
# The fixed set, per pillar: (state, how many).
ACTIVE = [
    ("submitted", 4),
    ("in_review", 4),
    ("changes_requested", 2),
    ("in_affirmation", 2),
    ("affirmed", 2),
]
ACTIVE_PER_PILLAR = sum(n for _, n in ACTIVE)


def _history_state(i: int) -> str:
    """The state of the i-th study beyond the fixed set: mostly published."""
    slot = i % 100
    if slot < 85:
        return "published"
    if slot < 92:
        return "draft"
    if slot < 96:
        return "declined"
    return "withdrawn"


def us_state_column(table: sa.Table) -> str:
    """Return the name of the table's US-state column (renamed `us_state` by issue 13)."""
    for name in ("us_state", "state_code"):
        if name in table.c:
            return name
    return "state"


class World:
    """The ids a benchmark needs, and the means to grow the data."""

    def __init__(self):
        self.studies = 0
        self.now = utcnow()
        self.pillar_ids: list[int] = []
        self.staff_ids: list[int] = []
        self.cochair_ids: dict[int, list[int]] = {}
        self.member_ids: list[int] = []
        self.topic_ids: list[int] = []
        self.author_id = 0
        self.next_ids = {
            "round": 1,
            "review": 1,
            "window": 1,
            "vote": 1,
            "notification": 1,
            "audit": 1,
        }

    # ------------------------------------------------------------ people

    def people(self) -> None:
        """Write the pillars, staff, co-chairs, members, partners and topics."""
        self.pillar_ids = [p.id for p in seed_pillars()]
        db.session.commit()
        password = hash_password(PASSWORD)
        table = User.__table__
        us = us_state_column(table)
        states = list(US_STATES)
        rows = []

        def person(email, name, kind):
            rows.append(
                {
                    "id": len(rows) + 1,
                    "email": email,
                    "name": name,
                    "kind": kind,
                    "office": "Council member",
                    "jurisdiction": "Town",
                    us: states[len(rows) % 50],
                    "organisation": "",
                    "is_active": True,
                    "password_hash": password,
                    "network_preference": "immediate",
                    "created_at": self.now,
                }
            )
            return len(rows)

        self.staff_ids = [person(f"staff{i}@bench.example", f"Staff {i}", "staff") for i in (1, 2)]
        for p in self.pillar_ids:
            self.cochair_ids[p] = [
                person(f"cochair{p}-{k}@bench.example", f"Co-chair {p}-{k}", "member")
                for k in (1, 2, 3)
            ]
        self.author_id = person("author@bench.example", "Bench Author", "member")
        self.member_ids = [self.author_id] + [
            person(f"member{i}@bench.example", f"Member {i:05d}", "member")
            for i in range(2, MEMBERS + 1)
        ]
        for i in range(PARTNERS):
            person(f"partner{i}@bench.example", f"Partner {i}", "partner")
        db.session.execute(table.insert(), rows)
        db.session.execute(
            CochairAssignment.__table__.insert(),
            [
                {"pillar_id": p, "user_id": u, "created_at": self.now}
                for p, users in self.cochair_ids.items()
                for u in users
            ],
        )
        db.session.execute(
            Topic.__table__.insert(), [{"id": i + 1, "name": name} for i, name in enumerate(TOPICS)]
        )
        self.topic_ids = list(range(1, len(TOPICS) + 1))
        db.session.commit()

    # ------------------------------------------------------------ studies

    def _states(self, start: int, stop: int) -> list[str]:
        fixed = [s for s, n in ACTIVE for _ in range(n)]
        out = []
        for i in range(start, stop):
            if i < ACTIVE_PER_PILLAR * len(self.pillar_ids):
                out.append(fixed[i // len(self.pillar_ids)])
            else:
                out.append(_history_state(i))
        return out

    def _author_of(self, i: int) -> int:
        """Member 1 authors 10 of the fixed set and 14 drafts, declined and withdrawn studies."""
        if i < ACTIVE_PER_PILLAR * len(self.pillar_ids):
            # Authors of the fixed set never vote on study 51 (its voters are members 2–3,001).
            return self.author_id if i % 7 == 3 else self.member_ids[-1 - i]
        if AUTHOR_FIRST <= i < AUTHOR_FIRST + AUTHOR_STUDIES - 10:
            return self.author_id
        return self.member_ids[1 + (i * 13) % (MEMBERS - 1)]

    def grow(self, target: int) -> None:
        """Write studies up to `target` in all, with everything their history left."""
        if not self.pillar_ids:
            self.people()
        for start in range(self.studies, target, CHUNK):
            self._chunk(start, min(target, start + CHUNK))
        self.studies = max(self.studies, target)
        self._finish()

    def _chunk(self, start: int, stop: int) -> None:
        table = CaseStudy.__table__
        us = us_state_column(table)
        states = list(US_STATES)
        out = {
            k: []
            for k in (
                "study",
                "author",
                "topic",
                "round",
                "review",
                "window",
                "vote",
                "notification",
                "audit",
            )
        }
        for i, state in zip(range(start, stop), self._states(start, stop), strict=True):
            sid = i + 1
            pillar = self.pillar_ids[i % len(self.pillar_ids)]
            author = self._author_of(i)
            medium = MEDIUM[i % len(MEDIUM)]
            changed = self.now - timedelta(minutes=10 * i + 5)
            created = changed - timedelta(days=30)
            body = (
                f"The community organised for {medium} reform over {2 + i % 7} years. Residents, "
                f"unions and council staff wrote the ordinance together; rareword{i % 10_000:05d} "
                "was the local name of the coalition. Evictions fell and wages rose."
            )
            published = state == "published"
            submitted = state != "draft"
            out["study"].append(
                {
                    "id": sid,
                    "title": f"Study {sid}: {TOPICS[i % 12]} in town {i % 997}",
                    "pillar_id": pillar,
                    "kind": ("policy_win", "organizing_example")[i % 2],
                    "place": f"Town {i % 997}",
                    us: states[i % 50],
                    "government_type": GOVS[i % 7],
                    "population_band": BANDS[i % 5],
                    "year_start": 2010 + i % 14,
                    "year_end": 2011 + i % 14,
                    "summary": f"How town {i % 997} won {medium} for its residents.",
                    "overview_md": body,
                    "overview_html": f"<p>{body}</p>",
                    "political_environment_md": "A split council and a hostile press. " * 5,
                    "political_environment_html": "<p>A split council and a hostile press.</p>",
                    "collaborative_governance_md": "A people's assembly met monthly.",
                    "collaborative_governance_html": "<p>A people's assembly met monthly.</p>",
                    "equity_md": "",
                    "equity_html": "",
                    "outcomes_md": "Rents fell.",
                    "outcomes_html": "<p>Rents fell.</p>",
                    "lessons_md": "",
                    "lessons_html": "",
                    "state": state,
                    "version": 1,
                    "current_round": 1 if submitted else 0,
                    "state_changed_at": changed,
                    "submitted_at": created if submitted else None,
                    "affirmed_at": changed if state in ("affirmed", "published") else None,
                    "published_at": changed if published else None,
                    "first_published_at": changed if published else None,
                    "slug": f"town-{i % 997}-study-{sid}" if published else None,
                    "created_by_id": author,
                    "created_at": created,
                    "updated_at": changed,
                }
            )
            out["author"].append(
                {
                    "study_id": sid,
                    "user_id": author,
                    "position": 0,
                    "is_submitter": True,
                    "added_at": created,
                }
            )
            for t in {self.topic_ids[i % 12], self.topic_ids[(i * 7) % 12]}:
                out["topic"].append({"study_id": sid, "topic_id": t})
            if submitted:
                self._history(out, i, sid, state, pillar, author, created, changed)
        db.session.execute(table.insert(), out["study"])
        db.session.execute(StudyAuthor.__table__.insert(), out["author"])
        db.session.execute(study_topics.insert(), out["topic"])
        for key, model in (
            ("round", Round),
            ("review", Review),
            ("window", AffirmationWindow),
            ("vote", Vote),
            ("notification", Notification),
            ("audit", AuditEvent),
        ):
            if out[key]:
                db.session.execute(model.__table__.insert(), out[key])
        db.session.commit()

    def _next(self, key: str) -> int:
        value = self.next_ids[key]
        self.next_ids[key] += 1
        return value

    def _history(self, out, i, sid, state, pillar, author, created, changed) -> None:
        """Add the rows the study's path through the workflow left."""
        cochairs = self.cochair_ids[pillar]
        decided = state not in ("submitted", "in_review", "withdrawn")
        decision = {"changes_requested": "request_changes", "declined": "decline"}.get(
            state, "approve"
        )
        round_id = self._next("round")
        out["round"].append(
            {
                "id": round_id,
                "study_id": sid,
                "number": 1,
                "revision_id": None,
                "opened_at": created,
                "due_at": (
                    self.now + timedelta(days=7) if not decided else created + timedelta(days=14)
                ),
                "decided_at": changed if decided else None,
                "decision": decision if decided else None,
                "tally": {decision: 2} if decided else None,
                "due_soon_reminded_at": None,
                "overdue_reminded_at": None,
                "escalated_at": None,
            }
        )
        reviewers = cochairs[:2] if decided else cochairs[:1] if state == "in_review" else []
        for reviewer in reviewers:
            out["review"].append(
                {
                    "id": self._next("review"),
                    "round_id": round_id,
                    "reviewer_id": reviewer,
                    "recommendation": decision,
                    "comment": "Clear and useful.",
                    "override_reason": None,
                    "created_at": created,
                    "updated_at": created,
                }
            )
        if state in ("in_affirmation", "affirmed", "published"):
            window_id = self._next("window")
            is_open = state == "in_affirmation"
            voters = VOTES_ON_VOTED if sid == VOTED_STUDY else 3 if not is_open else 12
            out["window"].append(
                {
                    "id": window_id,
                    "study_id": sid,
                    "round_number": 1,
                    "opened_at": created,
                    "closes_at": self.now + timedelta(days=7) if is_open else changed,
                    "closed_at": None if is_open else changed,
                    "result": None if is_open else "affirmed",
                    "affirm_count": None if is_open else voters,
                    "object_count": None if is_open else 0,
                    "reminder_sent_at": None,
                }
            )
            for k in range(voters):
                if sid == VOTED_STUDY:
                    voter = self.member_ids[1 + k]
                else:
                    voter = self.member_ids[1 + (i * 31 + k) % (MEMBERS - 1)]
                if voter == author:
                    continue
                objecting = k % 9 == 8
                out["vote"].append(
                    {
                        "id": self._next("vote"),
                        "window_id": window_id,
                        "user_id": voter,
                        "choice": "object" if objecting else "affirm",
                        "reason": "The timeline is thin." if objecting else "",
                        "created_at": created,
                        "updated_at": created,
                    }
                )
        for kind in ("submitted", "confirmation"):
            nid = self._next("notification")
            out["notification"].append(
                {
                    "id": nid,
                    "dedupe_key": f"bench:{kind}:{sid}",
                    "recipient_id": author,
                    "email": "author@bench.example",
                    "kind": kind,
                    "category": "action",
                    "study_id": sid,
                    "context": {"title": f"Study {sid}"},
                    "status": "sent",
                    "is_digest": False,
                    "attempts": 1,
                    "next_attempt_at": None,
                    "lease_until": None,
                    "message_id": f"<bench-{nid}@bench.example>",
                    "subject": f"Study {sid}",
                    "body_text": None,
                    "body_html": None,
                    "transport": "store",
                    "last_error": None,
                    "is_ambiguous": False,
                    "created_at": created,
                    "sent_at": created,
                }
            )
        moves = [("submit", "draft", "submitted", created)]
        if state != "submitted":
            moves.append((state, "in_review" if decided else "submitted", state, changed))
        for event, before, after, at in moves:
            out["audit"].append(
                {
                    "id": self._next("audit"),
                    "created_at": at,
                    "actor_id": author,
                    "study_id": sid,
                    "event": event,
                    "from_state": before,
                    "to_state": after,
                    "round_number": 1,
                    "comment": "",
                    "override_reason": None,
                    "data": None,
                }
            )

    def _finish(self) -> None:
        """Fill the search index and the stays per state, move PostgreSQL's sequences past the
        rows, refresh statistics."""
        postgres = db.engine.dialect.name == "postgresql"
        us = us_state_column(CaseStudy.__table__)
        db.session.execute(sa.text("DELETE FROM library_search"))
        if postgres:
            db.session.execute(
                sa.text(
                    "INSERT INTO library_search (study_id, document) SELECT id, "
                    "setweight(to_tsvector('english', title), 'A') || "
                    "setweight(to_tsvector('english', summary || ' ' || place), 'B') || "
                    "setweight(to_tsvector('english', "
                    "overview_md || ' ' || political_environment_md), 'D') "
                    "FROM case_study WHERE state = 'published'"
                )
            )
            for table in (
                "user",
                "case_study",
                "round",
                "review",
                "affirmation_window",
                "vote",
                "notification",
                "audit_event",
                "topic",
            ):
                db.session.execute(
                    sa.text(
                        f"SELECT setval(pg_get_serial_sequence('\"{table}\"', 'id'), "
                        f'(SELECT max(id) FROM "{table}"))'
                    )
                )
        else:
            db.session.execute(
                sa.text(
                    "INSERT INTO library_search (rowid, title, summary, body) SELECT id, title, "
                    f"summary || ' ' || place || ' ' || {us}, "
                    "overview_md || ' ' || political_environment_md "
                    "FROM case_study WHERE state = 'published'"
                )
            )
        # The stays the workflow would have counted at each move written above.
        stays.rebuild()
        db.session.commit()
        facet_counts.rebuild()
        library.bump_generation()
        db.session.commit()
        if postgres:
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.execute(sa.text("VACUUM ANALYZE"))
        else:
            db.session.execute(sa.text("ANALYZE"))
            db.session.commit()
