"""Form data kept when a session or CSRF token expired, so that nothing typed is lost."""

import secrets

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from models.base import db
from models.clock import UTCDateTime, utcnow


class RescuedForm(db.Model):
    __tablename__ = "rescued_form"

    token: Mapped[str] = mapped_column(
        sa.String(64), primary_key=True, default=lambda: secrets.token_urlsafe(32)
    )
    path: Mapped[str] = mapped_column(sa.String(500))
    # The posted fields as a list of [name, value] pairs (names may repeat).
    fields: Mapped[list] = mapped_column(sa.JSON)
    # Indexed: the sweep deletes the forms no one came back for (0014_perf2).
    created_at: Mapped[object] = mapped_column(UTCDateTime(), default=utcnow, index=True)
