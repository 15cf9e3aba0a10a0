"""Enqueue jobs after the transaction commits: to RQ, or in process in the embedded default.

A job is named by the name it is registered under (workers/registry.py lists them all), so the
code that asks for a job never imports the module that runs it.
"""

import logging
from collections.abc import Callable, Mapping
from datetime import datetime

from flask import Flask, current_app
from redis import Redis
from redis.exceptions import RedisError
from rq import Queue
from sqlalchemy import event
from sqlalchemy.orm import Session

from models.base import db
from review.infra.logs import request_id

log = logging.getLogger(__name__)

QUEUES = ("mail", "default")
_PENDING = "pending_jobs"


def init_app(app: Flask, jobs: Mapping[str, Callable]) -> None:
    """Bind the registered jobs (name -> function) that enqueue() may name."""
    app.extensions["job_runner"] = app.config["JOB_RUNNER"]
    app.extensions["jobs"] = dict(jobs)


def enqueue(name: str, *args, queue: str = "default", at: datetime | None = None) -> None:
    """Run the job registered as `name` with *args once the current transaction has
    committed; forget it on rollback. An unknown name raises KeyError at once.

    The database row the job works on is the truth: a job lost with Redis is found again
    by the sweep, so a failure to enqueue is logged, never raised.
    """
    func = current_app.extensions["jobs"][name]
    db.session().info.setdefault(_PENDING, []).append((func, args, queue, at))


def redis_connection() -> Redis | None:
    """Return a Redis client for REDIS_URL (short timeouts), or None in the embedded default."""
    url = current_app.config.get("REDIS_URL")
    if not url:
        return None
    clients = current_app.extensions.setdefault("redis_clients", {})
    if url not in clients:
        clients[url] = Redis.from_url(url, socket_connect_timeout=2, socket_timeout=5)
    return clients[url]


def rq_queue(name: str) -> Queue:
    return Queue(name, connection=redis_connection())


@event.listens_for(Session, "after_commit")
def _dispatch(session: Session) -> None:
    jobs = session.info.pop(_PENDING, [])
    for func, args, queue, at in jobs:
        _run(func, args, queue, at)


@event.listens_for(Session, "after_rollback")
def _forget(session: Session) -> None:
    session.info.pop(_PENDING, None)


def _run(func, args, queue: str, at: datetime | None) -> None:
    app = current_app._get_current_object()
    if app.config["JOB_RUNNER"] == "inline":
        if at is None:  # scheduled work waits for the timer's sweep
            with app.app_context():
                try:
                    func(*args)
                except Exception:  # the row stays pending; the sweep tries again
                    log.exception("inline job %s%r failed", func.__name__, args)
        return
    # The request that caused the job, so the worker's log lines carry its id.
    meta = {"request_id": request_id.get()}
    try:
        q = rq_queue(queue)
        if at is None:
            q.enqueue(func, *args, meta=meta)
        else:
            q.enqueue_at(at, func, *args, meta=meta)
    except RedisError as exc:
        log.warning(
            "could not enqueue %s%r: %s; the sweep will pick it up", func.__name__, args, exc
        )
