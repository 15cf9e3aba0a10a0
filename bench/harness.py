"""The shared harness of the benchmarks: databases, the app, interleaved timing, statements.

Every figure compares a candidate with a baseline measured in the same run, request by
request: one round calls each endpoint of a figure once, in an order that rotates from round
to round, so that a burst of load on the machine falls on both alike. p50 and p95 are both
reported. The load average is printed first, with a warning when the machine is busy.
"""

import contextlib
import os
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass

os.environ.setdefault("APP_ENV", "test")

import psycopg  # noqa: E402
import sqlalchemy as sa  # noqa: E402

PG_ADMIN_URL = os.environ.get("BENCH_PG_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
BUSY_LOAD = 1.5


def load_average() -> tuple[float, float, float]:
    return os.getloadavg()


def load_line() -> str:
    """Say the load average, and warn when it is high enough to inflate every figure."""
    one, five, fifteen = load_average()
    line = f"load average {one:.2f} {five:.2f} {fifteen:.2f} ({os.cpu_count()} cores)"
    if one > BUSY_LOAD:
        line += (
            f"\nWARNING: load average above {BUSY_LOAD}: other work shares the machine; absolute"
            " times are inflated and ratios compressed. Re-run on a quiet machine."
        )
    return line


@contextlib.contextmanager
def database(engine: str) -> Iterator[str]:
    """Yield the URL of a new, empty database on `engine`; drop it afterwards."""
    if engine == "sqlite":
        with tempfile.TemporaryDirectory() as directory:
            yield f"sqlite:///{directory}/bench.db"
        return
    name = f"rr_bench_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    finally:
        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def bench_config(url: str) -> dict:
    """Return the app configuration of a benchmark: no Redis, no timer, no rate limit."""
    return {
        "SQLALCHEMY_DATABASE_URI": url,
        "JOB_RUNNER": "inline",
        "REDIS_URL": None,
        "RUN_TIMER": False,
        "SWEEP_INTERVAL": 0,
        "MAIL_TRANSPORT": "store",
        "RATELIMIT_ENABLED": False,
        "TESTING": False,
    }


@dataclass
class Stats:
    """Times of one endpoint in milliseconds."""

    times: list[float]

    @property
    def n(self) -> int:
        return len(self.times)

    @property
    def p50(self) -> float:
        return statistics.median(self.times)

    @property
    def p95(self) -> float:
        if len(self.times) < 2:
            return self.times[0]
        return statistics.quantiles(self.times, n=20, method="inclusive")[-1]

    def text(self) -> str:
        return f"p50 {self.p50:8.2f} ms  p95 {self.p95:8.2f} ms  (n={self.n})"


def interleave(
    cases: dict[str, Callable[[], object]],
    requests: int,
    warmup: int = 3,
    budget_seconds: float = 60.0,
) -> dict[str, Stats]:
    """Time each case `requests` times, one of each per round, the order rotating each round.

    A case is a function that makes one request and checks its answer. Stops early (with at
    least 5 rounds) once `budget_seconds` have gone, so that a slow page cannot stall the run.
    """
    names = list(cases)
    for _ in range(warmup):
        for name in names:
            cases[name]()
    times: dict[str, list[float]] = {name: [] for name in names}
    started = time.perf_counter()
    for i in range(requests):
        shift = i % len(names)
        for name in names[shift:] + names[:shift]:
            t0 = time.perf_counter()
            cases[name]()
            times[name].append((time.perf_counter() - t0) * 1000)
        if i >= 4 and time.perf_counter() - started > budget_seconds:
            break
    return {name: Stats(t) for name, t in times.items()}


class StatementCounter:
    """Count the SQL statements an engine executes while the block runs."""

    def __init__(self, engine: sa.Engine):
        self.engine = engine
        self.statements: list[str] = []

    def _seen(self, conn, cursor, statement, parameters, context, executemany):
        self.statements.append(statement)

    def __enter__(self) -> "StatementCounter":
        sa.event.listen(self.engine, "before_cursor_execute", self._seen)
        return self

    def __exit__(self, *exc) -> None:
        sa.event.remove(self.engine, "before_cursor_execute", self._seen)

    @property
    def count(self) -> int:
        return len(self.statements)


def statements(engine: sa.Engine, fn: Callable[[], object]) -> int:
    """Return how many SQL statements fn() runs."""
    with StatementCounter(engine) as counter:
        fn()
    return counter.count


def checked(client, method: str, url: str, status: int = 200, **kwargs) -> Callable[[], object]:
    """Return a case that makes the request and fails loudly on another status."""
    call = getattr(client, method)

    def case():
        response = call(url, **kwargs)
        if response.status_code != status:
            raise AssertionError(f"{method.upper()} {url}: {response.status_code}, not {status}")
        return response

    return case


def ratio_line(label: str, candidate: Stats, baseline: Stats, goal: float, of: str) -> str:
    """One line of a figure: the candidate's times, its p95 ratio to the baseline, the goal."""
    ratio = candidate.p95 / baseline.p95
    verdict = "met" if ratio <= goal else "NOT met"
    return (
        f"  {label:<34} {candidate.text()}  = {ratio:5.2f}× {of} p95 "
        f"(p50 {candidate.p50 / baseline.p50:.2f}×; goal ≤ {goal:g}×: {verdict})"
    )


def absolute_line(label: str, candidate: Stats, goal_ms: float) -> str:
    verdict = "met" if candidate.p95 <= goal_ms else "NOT met"
    return f"  {label:<34} {candidate.text()}  (goal p95 ≤ {goal_ms:g} ms: {verdict})"


def baseline_line(label: str, stats: Stats) -> str:
    return f"  {label:<34} {stats.text()}"
