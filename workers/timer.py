"""The embedded default's timer: a daemon thread in the server process that runs the sweep.

With no Redis there is no `flask worker` and no separate `flask sweep`, so deadlines,
reminders, digests and mail retries are caught here. The thread starts on the first request
the app serves, never at import and never in a CLI command (those serve no request).
"""

import logging
import threading

from flask import Flask, current_app

from workers import sweep

log = logging.getLogger(__name__)

_KEY = "sweep_timer"
_lock = threading.Lock()


def init_app(app: Flask) -> None:
    if app.config.get("RUN_TIMER") and float(app.config.get("SWEEP_INTERVAL") or 0) > 0:
        app.before_request(_start_once)


def _start_once() -> None:
    app = current_app._get_current_object()
    if _KEY in app.extensions:
        return
    with _lock:
        if _KEY in app.extensions:
            return
        stop = threading.Event()
        thread = threading.Thread(
            target=_run,
            args=(app, float(app.config["SWEEP_INTERVAL"]), stop),
            name="sweep-timer",
            daemon=True,
        )
        app.extensions[_KEY] = (thread, stop)
        thread.start()
        log.info("sweep timer started: every %ss", app.config["SWEEP_INTERVAL"])


def _run(app: Flask, interval: float, stop: threading.Event) -> None:
    """Sweep now, then every `interval` seconds, until `stop` is set."""
    while not stop.is_set():
        with app.app_context():
            try:
                sweep.sweep()
            except Exception:  # the timer must outlive any one bad sweep
                log.exception("timed sweep failed")
        stop.wait(interval)


def stop_timer(app: Flask) -> None:
    """Stop the app's timer thread, if it runs, and wait for it to finish."""
    entry = app.extensions.pop(_KEY, None)
    if entry is not None:
        thread, stop = entry
        stop.set()
        thread.join(30)


def timer_running(app: Flask) -> bool:
    entry = app.extensions.get(_KEY)
    return entry is not None and entry[0].is_alive()
