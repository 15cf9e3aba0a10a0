"""The application factory: the one place that builds the app and wires every part into it.

Nothing imports this module but wsgi.py, the tests and the benchmarks, so importing any other
part of the code never builds or imports the whole application.
"""

import os
from typing import Any

from flask import Flask

import config as config_module
from models.base import db
from review import cli
from review.infra import (
    errors,
    i18n,
    logs,
    proxy,
    queue,
    routing,
    security,
    sessions,
    storage,
    templating,
)
from review.infra.extensions import csrf, limiter, mail, migrate
from review.views import register_blueprints
from workers import registry, timer


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """Build the application; `config` overrides the class chosen by APP_ENV."""
    app = Flask(
        "review",
        instance_path=str(config_module.INSTANCE_DIR),
        template_folder="../templates",
        static_folder="../static",
    )
    app.config.update(config_module.settings(config))
    _adapt_database_settings(app)
    proxy.init_app(app)

    db.init_app(app)
    migrate.init_app(
        app, db, directory=str(config_module.BASE_DIR / "migrations"), render_as_batch=True
    )
    mail.init_app(app)
    csrf.init_app(app)
    limiter.init_app(app)
    # The limiter is one object for the process and init_app gives it a new storage; forget
    # that an earlier app's storage had died (a fallback to memory), or it never looks again.
    limiter._storage_dead = False
    sessions.init_app(app)
    storage.init_app(app)
    security.init_app(app)
    i18n.init_app(app)
    templating.init_app(app)
    routing.init_app(app)
    errors.init_app(app)
    queue.init_app(app, registry.JOBS)
    register_blueprints(app)
    cli.init_app(app)
    timer.init_app(app)
    logs.init_app(app)
    return app


def _adapt_database_settings(app: Flask) -> None:
    """Pick the driver and engine options that suit the configured database."""
    uri = app.config["SQLALCHEMY_DATABASE_URI"]
    if uri.startswith("sqlite:"):
        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = {"connect_args": {"timeout": 30}}
        path = uri.removeprefix("sqlite:///")
        if path and not path.startswith(":memory:"):
            os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    elif uri.startswith(("postgresql://", "postgres://")):
        # psycopg 3 is the driver we ship.
        scheme, rest = uri.split("://", 1)
        app.config["SQLALCHEMY_DATABASE_URI"] = f"postgresql+psycopg://{rest}"
