"""A case study: its metadata, the working copy of its sections, and its repeatable rows."""

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import db
from models.clock import UTCDateTime, utcnow
from models.enums import (
    ContentLanguage,
    GovernmentType,
    PopulationBand,
    StakeholderType,
    Stance,
    StudyKind,
    StudyState,
    enum_type,
)

MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)


def date_iso(year: int, month: int | None, day: int | None) -> str:
    """Return a timeline date in ISO 8601 at its precision: YYYY-MM-DD, YYYY-MM or YYYY."""
    text = f"{year:04d}" + (f"-{month:02d}" if month else "")
    return text + (f"-{day:02d}" if month and day else "")


def date_label(year: int, month: int | None, day: int | None) -> str:
    """Return a timeline date as people write it: "14 June 2022", "June 2022" or "2022"."""
    if not month:
        return str(year)
    return f"{day} {MONTHS[month - 1]} {year}" if day else f"{MONTHS[month - 1]} {year}"


study_topics = sa.Table(
    "study_topic",
    db.metadata,
    sa.Column("study_id", sa.ForeignKey("case_study.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("topic_id", sa.ForeignKey("topic.id", ondelete="CASCADE"), primary_key=True),
)


# A study's secondary pillars: besides its primary one (CaseStudy.pillar_id, whose co-chairs
# review it), the pillars it also belongs to in the library's facets and on its page.
study_pillars = sa.Table(
    "study_pillar",
    db.metadata,
    sa.Column("study_id", sa.ForeignKey("case_study.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("pillar_id", sa.ForeignKey("pillar.id", ondelete="CASCADE"), primary_key=True),
    sa.Index("ix_study_pillar_pillar_id", "pillar_id"),
)


class Topic(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(60), unique=True)


UNDER_REVIEW = "state IN ('submitted', 'in_review')"


class CaseStudy(db.Model):
    """The working copy an author edits; revisions freeze it at each submission."""

    __tablename__ = "case_study"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(sa.String(200))
    pillar_id: Mapped[int] = mapped_column(sa.ForeignKey("pillar.id"), index=True)
    kind: Mapped[StudyKind | None] = mapped_column(enum_type(StudyKind))
    place: Mapped[str] = mapped_column(sa.String(160), default="")
    state_code: Mapped[str] = mapped_column(sa.String(2), default="")
    government_type: Mapped[GovernmentType | None] = mapped_column(enum_type(GovernmentType))
    # The exact population when known; the band is then derived from it (the facets group by
    # the band). Studies written before exact populations keep only their band.
    population: Mapped[int | None]
    population_band: Mapped[PopulationBand | None] = mapped_column(enum_type(PopulationBand))
    year_start: Mapped[int | None]
    year_end: Mapped[int | None]

    summary: Mapped[str] = mapped_column(sa.String(400), default="")
    # The language the study is written in, and optionally its summary in the other one.
    language: Mapped[ContentLanguage] = mapped_column(
        enum_type(ContentLanguage), default=ContentLanguage.en, server_default="en"
    )
    summary_translation: Mapped[str] = mapped_column(sa.String(400), default="", server_default="")
    overview_md: Mapped[str] = mapped_column(sa.Text, default="")
    overview_html: Mapped[str] = mapped_column(sa.Text, default="")
    political_environment_md: Mapped[str] = mapped_column(sa.Text, default="")
    political_environment_html: Mapped[str] = mapped_column(sa.Text, default="")
    collaborative_governance_md: Mapped[str] = mapped_column(sa.Text, default="")
    collaborative_governance_html: Mapped[str] = mapped_column(sa.Text, default="")
    equity_md: Mapped[str] = mapped_column(sa.Text, default="")
    equity_html: Mapped[str] = mapped_column(sa.Text, default="")
    outcomes_md: Mapped[str] = mapped_column(sa.Text, default="")
    outcomes_html: Mapped[str] = mapped_column(sa.Text, default="")
    lessons_md: Mapped[str] = mapped_column(sa.Text, default="")
    lessons_html: Mapped[str] = mapped_column(sa.Text, default="")

    state: Mapped[StudyState] = mapped_column(
        enum_type(StudyState), default=StudyState.draft, index=True
    )
    # Bumped by every UPDATE of the row; a stale writer updates zero rows and is refused.
    version: Mapped[int] = mapped_column(default=1)
    current_round: Mapped[int] = mapped_column(default=0)
    state_changed_at: Mapped[object] = mapped_column(UTCDateTime(), default=utcnow)
    submitted_at: Mapped[object | None] = mapped_column(UTCDateTime())
    affirmed_at: Mapped[object | None] = mapped_column(UTCDateTime())
    published_at: Mapped[object | None] = mapped_column(UTCDateTime(), index=True)
    first_published_at: Mapped[object | None] = mapped_column(UTCDateTime())
    corrected_at: Mapped[object | None] = mapped_column(UTCDateTime())
    slug: Mapped[str | None] = mapped_column(sa.String(200), unique=True)
    created_by_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id"), index=True)
    created_at: Mapped[object] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[object] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    pillar = relationship("Pillar")
    created_by = relationship("User")
    authors = relationship(
        "StudyAuthor",
        back_populates="study",
        cascade="all, delete-orphan",
        order_by="StudyAuthor.position",
    )
    topics = relationship("Topic", secondary=study_topics, order_by="Topic.name")
    secondary_pillars = relationship("Pillar", secondary=study_pillars, order_by="Pillar.position")
    timeline = relationship(
        "TimelineEvent", cascade="all, delete-orphan", order_by="TimelineEvent.position"
    )
    stakeholders = relationship(
        "Stakeholder", cascade="all, delete-orphan", order_by="Stakeholder.position"
    )
    links = relationship("Link", cascade="all, delete-orphan", order_by="Link.position")
    attachments = relationship(
        "Attachment", cascade="all, delete-orphan", order_by="Attachment.created_at"
    )
    lead_image = relationship(
        "LeadImage", uselist=False, cascade="all, delete-orphan", back_populates="study"
    )

    __mapper_args__ = {"version_id_col": version}
    __table_args__ = (
        sa.CheckConstraint(
            "(state = 'published') = (published_at IS NOT NULL)", name="published_has_date"
        ),
        sa.CheckConstraint("state <> 'published' OR slug IS NOT NULL", name="published_has_slug"),
        sa.CheckConstraint("current_round >= 0", name="round_not_negative"),
        sa.CheckConstraint("population >= 0", name="population_not_negative"),
        # Staff studies and staff's decided queue sort on the last change (migration 0006_perf).
        sa.Index("ix_case_study_state_changed", "state_changed_at", "id"),
        # A co-chair's decided list: the pillar's studies, newest change first.
        sa.Index("ix_case_study_pillar_changed", "pillar_id", "state_changed_at", "id"),
        # Counts per pillar and state (dashboard, pillars page) and a pillar's open studies.
        sa.Index("ix_case_study_pillar_state", "pillar_id", "state"),
        # The studies under co-chair review, a few among 10^5: the sweep's reminders start from
        # them (migration 0014_perf2). SQLite's planner, which knows only the average rows per
        # state, learns from this index's size that they are few; the query must name the two
        # states as literals for SQLite to see that the index applies (workers/reminders.py).
        sa.Index(
            "ix_case_study_under_review",
            "current_round",
            postgresql_where=sa.text(UNDER_REVIEW),
            sqlite_where=sa.text(UNDER_REVIEW),
        ),
    )

    @property
    def author_ids(self) -> set[int]:
        return {a.user_id for a in self.authors}

    def __repr__(self) -> str:
        return f"<CaseStudy {self.id} {self.state}>"


class StudyCount(db.Model):
    """How many studies of a pillar are in a state, kept by the database itself.

    Triggers on case_study (migration 0015_perf2_study_count, both engines) add and take one
    at every INSERT, DELETE and change of pillar or state, whatever wrote it: the workflow, an
    import, a bulk INSERT. The dashboard reads these 45 rows instead of counting 10^5 studies.
    Rows at 0 stay.
    """

    __tablename__ = "study_count"

    pillar_id: Mapped[int] = mapped_column(primary_key=True)
    state: Mapped[StudyState] = mapped_column(enum_type(StudyState), primary_key=True)
    n: Mapped[int] = mapped_column(default=0)


class StudyAuthor(db.Model):
    """The submitter (position 0) and the co-authors, who act as authors."""

    __tablename__ = "study_author"

    study_id: Mapped[int] = mapped_column(
        sa.ForeignKey("case_study.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id"), primary_key=True, index=True)
    position: Mapped[int] = mapped_column(default=0)
    is_submitter: Mapped[bool] = mapped_column(default=False)
    added_at: Mapped[object] = mapped_column(UTCDateTime(), default=utcnow)

    study = relationship("CaseStudy", back_populates="authors")
    user = relationship("User")


class TimelineEvent(db.Model):
    """A dated event: a day, a month (day left empty) or a year (month and day left empty)."""

    __tablename__ = "timeline_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    study_id: Mapped[int] = mapped_column(
        sa.ForeignKey("case_study.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(default=0)
    year: Mapped[int]
    month: Mapped[int | None]
    day: Mapped[int | None]
    description: Mapped[str] = mapped_column(sa.Text)

    __table_args__ = (
        sa.CheckConstraint("month BETWEEN 1 AND 12", name="month_range"),
        sa.CheckConstraint("day IS NULL OR day BETWEEN 1 AND 31", name="day_range"),
    )

    @property
    def date_text(self) -> str:
        """Return the date for machines (the API, exports, <time datetime>): ISO 8601,
        YYYY-MM-DD, YYYY-MM or YYYY."""
        return date_iso(self.year, self.month, self.day)

    @property
    def date_label(self) -> str:
        """Return the date as people write it: "14 June 2022", "June 2022" or "2022"."""
        return date_label(self.year, self.month, self.day)


class Stakeholder(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    study_id: Mapped[int] = mapped_column(
        sa.ForeignKey("case_study.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(default=0)
    name: Mapped[str] = mapped_column(sa.String(200))
    type: Mapped[StakeholderType] = mapped_column(enum_type(StakeholderType))
    role: Mapped[str] = mapped_column(sa.Text, default="")
    stance: Mapped[Stance] = mapped_column(enum_type(Stance))


class Link(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    study_id: Mapped[int] = mapped_column(
        sa.ForeignKey("case_study.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(default=0)
    label: Mapped[str] = mapped_column(sa.String(200))
    url: Mapped[str] = mapped_column(sa.String(2000))


class Attachment(db.Model):
    """A file checked by content and stored under UPLOAD_FOLDER by its storage key."""

    id: Mapped[int] = mapped_column(primary_key=True)
    study_id: Mapped[int] = mapped_column(
        sa.ForeignKey("case_study.id", ondelete="CASCADE"), index=True
    )
    filename: Mapped[str] = mapped_column(sa.String(255))
    content_type: Mapped[str] = mapped_column(sa.String(100))
    size: Mapped[int]
    sha256: Mapped[str] = mapped_column(sa.String(64))
    storage_key: Mapped[str] = mapped_column(sa.String(100), unique=True)
    uploaded_by_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id"))
    created_at: Mapped[object] = mapped_column(UTCDateTime(), default=utcnow)


class ImageRendition(db.Model):
    """A resized copy of an image attachment (at most `max_width` pixels wide), made with
    Pillow at upload: no metadata (EXIF, GPS) survives into it. Stored like the attachment."""

    __tablename__ = "image_rendition"

    id: Mapped[int] = mapped_column(primary_key=True)
    attachment_id: Mapped[int] = mapped_column(
        sa.ForeignKey("attachment.id", ondelete="CASCADE"), index=True
    )
    max_width: Mapped[int]
    width: Mapped[int]
    height: Mapped[int]
    content_type: Mapped[str] = mapped_column(sa.String(100))
    size: Mapped[int]
    storage_key: Mapped[str] = mapped_column(sa.String(100), unique=True)

    __table_args__ = (sa.UniqueConstraint("attachment_id", "max_width"),)


class LeadImage(db.Model):
    """The picture a study opens with: one of its PNG or JPEG attachments, described."""

    __tablename__ = "lead_image"

    study_id: Mapped[int] = mapped_column(
        sa.ForeignKey("case_study.id", ondelete="CASCADE"), primary_key=True
    )
    attachment_id: Mapped[int] = mapped_column(
        sa.ForeignKey("attachment.id", ondelete="CASCADE"), unique=True
    )
    alt_text: Mapped[str] = mapped_column(sa.String(300))
    caption: Mapped[str] = mapped_column(sa.String(500), default="")
    credit: Mapped[str] = mapped_column(sa.String(200), default="")
    created_at: Mapped[object] = mapped_column(UTCDateTime(), default=utcnow)

    study = relationship("CaseStudy", back_populates="lead_image")
    attachment = relationship("Attachment")
    renditions = relationship(
        "ImageRendition",
        primaryjoin="LeadImage.attachment_id == foreign(ImageRendition.attachment_id)",
        order_by="ImageRendition.max_width",
        viewonly=True,
    )

    __table_args__ = (sa.CheckConstraint("alt_text <> ''", name="has_alt_text"),)

    def rendition(self, max_width: int):
        """Return the rendition of this width, else the largest there is (None if none)."""
        found = [r for r in self.renditions if r.max_width == max_width]
        return found[0] if found else (self.renditions[-1] if self.renditions else None)


class SlugRedirect(db.Model):
    """A former public slug of a study, which answers 301 to the study's current address."""

    __tablename__ = "slug_redirect"

    old_slug: Mapped[str] = mapped_column(sa.String(200), primary_key=True)
    study_id: Mapped[int] = mapped_column(
        sa.ForeignKey("case_study.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[object] = mapped_column(UTCDateTime(), default=utcnow)
