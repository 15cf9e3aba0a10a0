"""The library benchmark's figures of issue 15 (bench/library.py runs them): the first page
after a publication, "did you mean", and the import of studies from the former public site."""

import statistics
import time

from models import User
from models.base import db
from models.clock import utcnow
from review import library
from review.library import facet_counts
from review.library.forgiving import did_you_mean
from review.staff import imports


def publication() -> None:
    """What a publication does to the library's caches and counts: one study's facet
    contributions refreshed (review.library.facet_counts) and a new generation, committed."""
    facet_counts.refresh([1])
    library.bump_generation()
    db.session.commit()


def typo_p95(requests: int, words: list[str]) -> float:
    times = []
    for i in range(requests):
        t0 = time.perf_counter()
        word = words[i % len(words)]
        respelt = did_you_mean(f"{word}x residents")
        times.append(time.perf_counter() - t0)
        assert respelt == f"{word} residents", respelt
    return statistics.quantiles(times, n=20)[-1] * 1000


def import_seconds(count: int) -> float:
    """Import `count` new studies in one real run, as staff would from the former site."""
    staff = User(email="bench-staff@example.org", name="Bench Staff", created_at=utcnow())
    db.session.add(staff)
    db.session.commit()
    rows = [
        {
            "slug": f"imported-{n}",
            "title": f"Imported study {n}",
            "pillar": "public-budgets",
            "secondary_pillars": ["our-economy"],
            "kind": "policy_win",
            "place": f"Place {n}",
            "state_code": "NM",
            "government_type": "city",
            "population": 10_000 + n,
            "topics": ["participatory budgeting", f"topic {n % 50}"],
            "authors": [{"email": f"author{n % 200}@example.org", "name": f"Author {n % 200}"}],
            "summary": f"Residents of Place {n} decide part of the budget.",
            "sections": {
                "overview": "The city set aside **$1M** for residents to allocate.",
                "political_environment": "A new council majority. " * 8,
                "collaborative_governance": "Residents wrote the rulebook.",
                "outcomes": "Forty projects funded.",
            },
            "timeline": [
                {"date": "2018-03", "description": "Campaign launched"},
                {"date": "14 June 2019", "description": "Council vote"},
            ],
            "stakeholders": [
                {
                    "name": "PB Coalition",
                    "type": "community_organisation",
                    "role": "Led",
                    "stance": "ally",
                },
            ],
            "published_at": "2019-09-01",
        }
        for n in range(count)
    ]
    t0 = time.perf_counter()
    report = imports.import_studies(rows, staff, source="bench.json", dry_run=False)
    db.session.commit()
    seconds = time.perf_counter() - t0
    assert report.count("create") == count, imports.report_lines(report)[:5]
    return seconds
