"""The five pillars of the agenda, their review settings and their co-chairs."""

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import db
from models.clock import UTCDateTime, utcnow


class Pillar(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(sa.String(80), unique=True)
    name: Mapped[str] = mapped_column(sa.String(120))
    description: Mapped[str] = mapped_column(sa.Text, default="")
    position: Mapped[int] = mapped_column(default=0)
    review_quorum: Mapped[int] = mapped_column(default=2)
    review_due_days: Mapped[int] = mapped_column(default=14)

    cochair_assignments = relationship(
        "CochairAssignment", back_populates="pillar", cascade="all, delete-orphan"
    )

    __table_args__ = (
        sa.CheckConstraint("review_quorum >= 1", name="quorum_positive"),
        sa.CheckConstraint("review_due_days >= 1", name="due_days_positive"),
    )

    @property
    def cochairs(self) -> list:
        return [a.user for a in self.cochair_assignments]

    def __repr__(self) -> str:
        return f"<Pillar {self.slug}>"


class CochairAssignment(db.Model):
    """A member co-chairing one pillar's working group."""

    id: Mapped[int] = mapped_column(primary_key=True)
    pillar_id: Mapped[int] = mapped_column(sa.ForeignKey("pillar.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[object] = mapped_column(UTCDateTime(), default=utcnow)

    pillar = relationship("Pillar", back_populates="cochair_assignments")
    user = relationship("User", back_populates="cochair_assignments")

    __table_args__ = (sa.UniqueConstraint("pillar_id", "user_id", name="uq_cochair_pillar_user"),)


# The seeded pillars of SPEC §2: (slug, name, description).
PILLARS = [
    (
        "public-budgets",
        "Reimagine Public Budgets",
        "Budgets as moral documents; progressive revenue; investing in people.",
    ),
    (
        "thriving-communities",
        "Reimagine Thriving Communities",
        "Services, housing, transit, public safety and health.",
    ),
    (
        "neighborhood-design",
        "Reimagine Neighborhood Design & Development",
        "Land use, zoning, development, food access.",
    ),
    (
        "our-economy",
        "Reimagine Our Economy",
        "Worker power, community benefits, small and minority-owned business.",
    ),
    (
        "our-democracy",
        "Reimagine Our Democracy",
        "Co-governance, voting rights, public financing, youth voice.",
    ),
]


def pillars_in_order() -> list[Pillar]:
    """The five pillars in the agenda's order (the one way every page lists them)."""
    return list(db.session.scalars(sa.select(Pillar).order_by(Pillar.position)))


def seed_pillars() -> list[Pillar]:
    """Create the five pillars if missing; flush, never commit."""
    existing = {p.slug: p for p in db.session.scalars(sa.select(Pillar))}
    for position, (slug, name, description) in enumerate(PILLARS, start=1):
        if slug not in existing:
            existing[slug] = Pillar(
                slug=slug, name=name, description=description, position=position
            )
            db.session.add(existing[slug])
    db.session.flush()
    return sorted(existing.values(), key=lambda p: p.position)
