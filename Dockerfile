# Reimagine Review: one image for web, worker and sweep (the command differs; see compose.yaml).
# Stage 1 builds the locked dependencies into a virtualenv; stage 2 copies it, without
# compilers, and runs as an unprivileged user.
FROM python:3.11-slim-bookworm AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1
RUN apt-get update && apt-get install -y --no-install-recommends gcc libc6-dev \
    && rm -rf /var/lib/apt/lists/*
RUN python -m venv /venv
COPY requirements.txt /tmp/requirements.txt
RUN /venv/bin/pip install --require-hashes --no-deps -r /tmp/requirements.txt \
    && /venv/bin/pip check

FROM python:3.11-slim-bookworm
ENV PATH=/venv/bin:$PATH PYTHONUNBUFFERED=1 PYTHONDONTWRITEBYTECODE=1 \
    APP_ENV=production FLASK_APP=wsgi.py
RUN groupadd --system reimagine && useradd --system --gid reimagine --home /app reimagine
COPY --from=build /venv /venv
WORKDIR /app
COPY --chown=root:root wsgi.py config.py gunicorn.conf.py ./
COPY --chown=root:root review ./review
COPY --chown=root:root models ./models
COPY --chown=root:root forms ./forms
COPY --chown=root:root workers ./workers
COPY --chown=root:root templates ./templates
COPY --chown=root:root static ./static
COPY --chown=root:root migrations ./migrations
# The catalogues: the committed .po files, compiled here into the .mo files the app reads.
COPY --chown=root:root translations ./translations
RUN pybabel -q compile -d translations
# The code is read-only to the app; it writes only to /tmp (uploads are checked there).
USER reimagine
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4)"
CMD ["gunicorn", "-c", "gunicorn.conf.py", "--bind", "0.0.0.0:8000", "wsgi:app"]
