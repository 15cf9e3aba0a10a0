"""The outbox: one row per email, written in the transaction of the event that causes it."""

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import db
from models.clock import UTCDateTime, utcnow
from models.enums import NotificationCategory, NotificationStatus, enum_type


class Notification(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    # One row per (event, person, kind): re-running a fan-out creates nothing new.
    dedupe_key: Mapped[str] = mapped_column(sa.String(200), unique=True)
    recipient_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"), index=True)
    email: Mapped[str] = mapped_column(sa.String(254))
    # The template name under templates/email/.
    kind: Mapped[str] = mapped_column(sa.String(60), index=True)
    category: Mapped[NotificationCategory] = mapped_column(enum_type(NotificationCategory))
    study_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("case_study.id", ondelete="SET NULL"), index=True
    )
    context: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    status: Mapped[NotificationStatus] = mapped_column(
        enum_type(NotificationStatus), default=NotificationStatus.pending, index=True
    )
    # Network rows for people on the daily digest wait for it instead of going out alone.
    is_digest: Mapped[bool] = mapped_column(default=False)
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[object | None] = mapped_column(UTCDateTime())
    lease_until: Mapped[object | None] = mapped_column(UTCDateTime())
    message_id: Mapped[str] = mapped_column(sa.String(200))
    subject: Mapped[str | None] = mapped_column(sa.String(300))
    body_text: Mapped[str | None] = mapped_column(sa.Text)
    body_html: Mapped[str | None] = mapped_column(sa.Text)
    transport: Mapped[str | None] = mapped_column(sa.String(10))
    last_error: Mapped[str | None] = mapped_column(sa.Text)
    # Set when a send was interrupted after SMTP may have accepted it.
    is_ambiguous: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[object] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    sent_at: Mapped[object | None] = mapped_column(UTCDateTime())

    recipient = relationship("User")
    study = relationship("CaseStudy")

    __table_args__ = (
        sa.CheckConstraint("(status = 'sent') = (sent_at IS NOT NULL)", name="sent_has_date"),
    )
