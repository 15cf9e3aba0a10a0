"""People: accounts, their sign-in sessions, and requests for access."""

import secrets

import sqlalchemy as sa
from flask_login import UserMixin
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import db
from models.clock import UTCDateTime, utcnow
from models.enums import AccessRequestStatus, NetworkPreference, UserKind, enum_type

pillar_follows = sa.Table(
    "pillar_follow",
    db.metadata,
    sa.Column("user_id", sa.ForeignKey("user.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("pillar_id", sa.ForeignKey("pillar.id", ondelete="CASCADE"), primary_key=True),
)


class User(UserMixin, db.Model):
    """One person; the email, lower-cased, is the identity."""

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(sa.String(254), unique=True)
    name: Mapped[str] = mapped_column(sa.String(120))
    office: Mapped[str] = mapped_column(sa.String(160), default="")
    jurisdiction: Mapped[str] = mapped_column(sa.String(160), default="")
    us_state: Mapped[str] = mapped_column(sa.String(2), default="")
    organisation: Mapped[str] = mapped_column(sa.String(160), default="")
    kind: Mapped[UserKind] = mapped_column(enum_type(UserKind), default=UserKind.member)
    is_active: Mapped[bool] = mapped_column(default=True)
    password_hash: Mapped[str | None] = mapped_column(sa.String(255))
    network_preference: Mapped[NetworkPreference] = mapped_column(
        enum_type(NetworkPreference), default=NetworkPreference.immediate
    )
    # The language pages and emails are in ("en", "es"); None until the first sign-in sets it
    # from the browser's Accept-Language.
    locale: Mapped[str | None] = mapped_column(sa.String(8))
    last_digest_at: Mapped[object | None] = mapped_column(UTCDateTime())
    invited_at: Mapped[object | None] = mapped_column(UTCDateTime())
    created_at: Mapped[object] = mapped_column(UTCDateTime(), default=utcnow)
    # The IANA zone every date is shown in; the browser's at first sign-in until the person
    # chooses one (time_zone_set_at says it was set, by either).
    time_zone: Mapped[str] = mapped_column(sa.String(64), default="UTC", server_default="UTC")
    time_zone_set_at: Mapped[object | None] = mapped_column(UTCDateTime())
    # The secret of the person's calendar feed URL; resetting it makes the old URL answer 404.
    calendar_token: Mapped[str] = mapped_column(
        sa.String(64), unique=True, default=lambda: secrets.token_urlsafe(32)
    )

    cochair_assignments = relationship(
        "CochairAssignment", back_populates="user", cascade="all, delete-orphan"
    )
    followed_pillars = relationship("Pillar", secondary=pillar_follows)

    __table_args__ = (
        sa.CheckConstraint("email = lower(email)", name="email_lower"),
        # Counting the eligible voters reads this index alone (0007_perf).
        sa.Index("ix_user_kind_active", "kind", "is_active", "id"),
    )

    # Set by the user loader: the sign-in session this request belongs to.
    current_login = None

    def get_id(self) -> str:
        """Identify the sign-in session, not the person, so that sign-out can revoke it."""
        return self.current_login.token if self.current_login else ""

    @property
    def is_staff(self) -> bool:
        return self.kind == UserKind.staff

    @property
    def has_password(self) -> bool:
        return self.password_hash is not None

    @property
    def display_office(self) -> str:
        parts = [p for p in (self.office, self.jurisdiction) if p]
        return ", ".join(parts)

    def __repr__(self) -> str:
        return f"<User {self.email}>"


class Login(db.Model):
    """A server-side sign-in session; deleting it signs the browser out everywhere it was copied."""

    token: Mapped[str] = mapped_column(
        sa.String(64), primary_key=True, default=lambda: secrets.token_urlsafe(32)
    )
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id", ondelete="CASCADE"), index=True)
    # Indexed: the sweep deletes the sessions idle or old past their limits (0014_perf2).
    created_at: Mapped[object] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    last_seen_at: Mapped[object] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    # The browser it was opened in, so the person can tell their sessions apart.
    user_agent: Mapped[str] = mapped_column(sa.String(200), default="", server_default="")
    user = relationship("User")


class AccessRequest(db.Model):
    """A public request for an account, approved or rejected by staff."""

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(sa.String(254), index=True)
    name: Mapped[str] = mapped_column(sa.String(120))
    kind: Mapped[UserKind] = mapped_column(enum_type(UserKind), default=UserKind.member)
    office: Mapped[str] = mapped_column(sa.String(160), default="")
    jurisdiction: Mapped[str] = mapped_column(sa.String(160), default="")
    us_state: Mapped[str] = mapped_column(sa.String(2), default="")
    organisation: Mapped[str] = mapped_column(sa.String(160), default="")
    message: Mapped[str] = mapped_column(sa.Text, default="")
    status: Mapped[AccessRequestStatus] = mapped_column(
        enum_type(AccessRequestStatus), default=AccessRequestStatus.pending
    )
    created_at: Mapped[object] = mapped_column(UTCDateTime(), default=utcnow)
    decided_at: Mapped[object | None] = mapped_column(UTCDateTime())
    decided_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
