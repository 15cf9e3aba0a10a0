"""Every migration goes down and comes back up on both engines, with rows in the tables."""

import sqlalchemy as sa
from alembic import command
from flask import current_app
from flask_migrate import downgrade, upgrade

from models import CaseStudy
from models.base import db
from models.pillar import seed_pillars
from review.app import create_app
from tests.conftest import user_maker
from tests.factories import complete_study


def test_down_to_0009_and_up_again_keeps_the_studies(fresh_url):
    """Migration 0010's downgrade drops the language column and its CHECK (SQLite rebuilds the
    table, and a CHECK left naming a dropped column broke it); the way back up then matches
    the models again."""
    app = create_app({"SQLALCHEMY_DATABASE_URI": fresh_url, "RATELIMIT_STORAGE_URI": None})
    with app.app_context():
        upgrade()
        seed_pillars()
        study = complete_study(user_maker()(), title="Presupuesto participativo", language="es")
        db.session.commit()
        study_id = study.id
        db.session.remove()

        downgrade(revision="0009_perf_counts")
        columns = {c["name"] for c in sa.inspect(db.engine).get_columns("case_study")}
        assert "language" not in columns and "summary_translation" not in columns
        assert db.session.execute(sa.text("SELECT title FROM case_study")).scalar_one() == (
            "Presupuesto participativo"
        )
        db.session.remove()

        upgrade()
        again = db.session.get(CaseStudy, study_id)
        assert again.title == "Presupuesto participativo" and again.language == "en"
        command.check(current_app.extensions["migrate"].migrate.get_config())
        db.session.remove()
        db.engine.dispose()
