"""Gunicorn settings for a web machine: `gunicorn -c gunicorn.conf.py wsgi:app`.

Flags on the command line (--bind, --workers) override what is set here; the application's
own settings come from the environment through config.py, never from this file.
"""

import multiprocessing

bind = "0.0.0.0:8000"
# Two workers a core plus one, as gunicorn advises; threads let a slow download not hold one.
workers = multiprocessing.cpu_count() * 2 + 1
worker_class = "gthread"
threads = 4
# A request that takes longer than this is a bug or a stuck database: the worker is restarted.
timeout = 60
graceful_timeout = 30
keepalive = 5
# Restart each worker now and then, so a slow leak cannot grow for ever.
max_requests = 2000
max_requests_jitter = 200
# Import the app once, in the master, before forking: workers start at once and share memory.
# (create_app opens no connection, so no socket is shared across the fork.)
preload_app = True
# Heartbeat files in memory, not on a container's overlay disk.
worker_tmp_dir = "/dev/shm"

accesslog = "-"
errorlog = "-"
# One JSON object a line, with the request id the app sends back (review/infra/logs.py).
access_log_format = (
    '{"time": "%(t)s", "remote": "%({x-forwarded-for}i)s", "method": "%(m)s", '
    '"path": "%(U)s", "status": %(s)s, "bytes": "%(B)s", "duration_ms": %(M)s, '
    '"request_id": "%({x-request-id}o)s", "user_agent": "%(a)s"}'
)
