"""Logs: one JSON object a line in production, with the id of the request that caused them.

The id comes from the proxy's X-Request-ID (when it looks like one) or is made here; it is
sent back in the response, put on every job the request enqueues, and set again by the worker
while it runs that job, so one request can be followed from the web machine to the worker.
"""

import json
import logging
import re
import secrets
import sys
from contextvars import ContextVar
from datetime import UTC, datetime

from flask import Flask, Response, request

request_id: ContextVar[str | None] = ContextVar("request_id", default=None)
_VALID = re.compile(r"^[A-Za-z0-9._:-]{8,128}$")
_handler: logging.Handler | None = None


class JSONFormatter(logging.Formatter):
    """Format a record as one line of JSON."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", None),
        }
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


class _RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id.get()
        return True


def configure(log_format: str) -> None:
    """Send this process's logs to stderr as text or JSON; the last call decides."""
    global _handler
    root = logging.getLogger()
    if _handler is not None:
        root.removeHandler(_handler)
    _handler = logging.StreamHandler(sys.stderr)
    _handler.addFilter(_RequestIdFilter())
    if log_format == "json":
        _handler.setFormatter(JSONFormatter())
    else:
        _handler.setFormatter(
            logging.Formatter("%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s")
        )
    root.addHandler(_handler)
    root.setLevel(logging.INFO)


def init_app(app: Flask) -> None:
    configure(app.config["LOG_FORMAT"])
    app.before_request(_start)
    app.after_request(_echo)
    app.teardown_request(_end)


def _start() -> None:
    given = request.headers.get("X-Request-ID", "")
    request_id.set(given if _VALID.match(given) else secrets.token_hex(16))


def _echo(response: Response) -> Response:
    if request_id.get():
        response.headers["X-Request-ID"] = request_id.get()
    return response


def _end(_exc) -> None:
    request_id.set(None)
