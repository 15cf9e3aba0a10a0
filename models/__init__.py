"""The data model: one module per aggregate; importing this package registers every table."""

from models.affirmation import AffirmationWindow, Comment, Vote
from models.audit import AuditEvent, StayCount
from models.case_study import (
    Attachment,
    CaseStudy,
    ImageRendition,
    LeadImage,
    Link,
    SlugRedirect,
    Stakeholder,
    StudyAuthor,
    StudyCount,
    TimelineEvent,
    Topic,
    study_pillars,
    study_topics,
)
from models.commitment import Commitment
from models.library_facets import facet_counts, facet_members
from models.notification import Broadcast, Notification
from models.pillar import CochairAssignment, Pillar
from models.rescue import RescuedForm
from models.review import Conflict, FeedbackItem, Review, Round
from models.revision import Revision
from models.setting import Setting
from models.state_guard import StateGuardError, moving_state
from models.stored_file import StoredChunk, StoredFile
from models.user import AccessRequest, Login, User, pillar_follows
from models.working_copy import WorkingCopy

__all__ = [
    "AccessRequest",
    "AffirmationWindow",
    "Attachment",
    "AuditEvent",
    "Broadcast",
    "CaseStudy",
    "CochairAssignment",
    "Comment",
    "Commitment",
    "Conflict",
    "FeedbackItem",
    "ImageRendition",
    "LeadImage",
    "Link",
    "Login",
    "Notification",
    "Pillar",
    "RescuedForm",
    "Review",
    "Revision",
    "Round",
    "Setting",
    "SlugRedirect",
    "Stakeholder",
    "StateGuardError",
    "StayCount",
    "StoredChunk",
    "StoredFile",
    "StudyAuthor",
    "StudyCount",
    "TimelineEvent",
    "Topic",
    "User",
    "Vote",
    "WorkingCopy",
    "moving_state",
    "pillar_follows",
    "study_pillars",
    "facet_counts",
    "facet_members",
    "study_topics",
]
