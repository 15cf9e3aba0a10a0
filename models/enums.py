"""Every state and choice of the domain, as StrEnums that the database enforces."""

from enum import StrEnum

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l


def enum_type(enum: type[StrEnum], length: int | None = None, name: str | None = None) -> sa.Enum:
    """Store a StrEnum by value in a VARCHAR with a CHECK constraint on both engines.

    `length` keeps a column's existing width; `name` tells apart two columns of one table that
    hold the same enum (their CHECKs are named ck_<table>_<name>).
    """
    return sa.Enum(
        enum,
        native_enum=False,
        create_constraint=True,
        length=length or max(len(m.value) for m in enum),
        values_callable=lambda e: [m.value for m in e],
        name=name or enum.__name__.lower(),
        validate_strings=True,
    )


class Labeled(StrEnum):
    """A StrEnum whose members carry a human label for templates."""

    @property
    def label(self) -> str:
        """The label in the language of the page or email being rendered."""
        return str(LABELS[self.value])

    @property
    def lazy_label(self):
        """The label, translated each time it is rendered (for forms and module constants)."""
        return LABELS[self.value]

    @classmethod
    def choices(cls) -> list[tuple[str, str]]:
        """(value, label) pairs whose labels translate when rendered (forms build them once)."""
        return [(m.value, LABELS[m.value]) for m in cls]


class UserKind(Labeled):
    member = "member"
    partner = "partner"
    staff = "staff"


class StudyState(Labeled):
    draft = "draft"
    submitted = "submitted"
    in_review = "in_review"
    changes_requested = "changes_requested"
    in_affirmation = "in_affirmation"
    affirmed = "affirmed"
    published = "published"
    declined = "declined"
    withdrawn = "withdrawn"


class WindowResult(StrEnum):
    """How an affirmation window closed: the network affirmed or returned the study, or the
    vote was void because the study left affirmation another way (withdrawn) first."""

    affirmed = "affirmed"
    returned = "returned"
    void = "void"


class FeedbackSource(StrEnum):
    """Where a feedback item came from: a co-chair's review or the network's objections."""

    review = "review"
    affirmation = "affirmation"


class CommitmentSource(StrEnum):
    """Who listed an official: they themselves, staff by hand, or a staff CSV import."""

    self_ = "self"
    staff = "staff"
    import_ = "import"


class RevisionReason(StrEnum):
    """Why a revision was frozen."""

    submit = "submit"
    resubmit = "resubmit"
    correction = "correction"
    import_ = "import"


class Transport(StrEnum):
    """How a sent notification left: by SMTP, or written to the mail store (the embedded mode)."""

    smtp = "smtp"
    store = "store"


class ContentLanguage(Labeled):
    """The language a study is written in (its content, not the reader's interface)."""

    en = "en"
    es = "es"

    @property
    def search_config(self) -> str:
        """The PostgreSQL text search configuration that stems this language."""
        return {"en": "english", "es": "spanish"}[self.value]


class StudyKind(Labeled):
    policy_win = "policy_win"
    organizing_example = "organizing_example"


class GovernmentType(Labeled):
    city = "city"
    county = "county"
    town = "town"
    school_district = "school_district"
    special_district = "special_district"
    tribal = "tribal"
    state = "state"
    consolidated_city_county = "consolidated_city_county"
    federal_district = "federal_district"
    other = "other"


class PopulationBand(Labeled):
    under_10k = "under_10k"
    from_10k_to_50k = "10k_50k"
    from_50k_to_250k = "50k_250k"
    from_250k_to_1m = "250k_1m"
    over_1m = "over_1m"

    @classmethod
    def of(cls, population: int | None) -> "PopulationBand | None":
        """Return the band an exact population falls in (None for None)."""
        if population is None:
            return None
        for limit, band in BAND_LIMITS:
            if population < limit:
                return band
        return cls.over_1m


# Each band holds the populations below its limit (and at or above the previous one's).
BAND_LIMITS = (
    (10_000, PopulationBand.under_10k),
    (50_000, PopulationBand.from_10k_to_50k),
    (250_000, PopulationBand.from_50k_to_250k),
    (1_000_000, PopulationBand.from_250k_to_1m),
)


class StakeholderType(Labeled):
    community_organisation = "community_organisation"
    labor_union = "labor_union"
    policy_group = "policy_group"
    government_body = "government_body"
    elected_official = "elected_official"
    business = "business"
    residents = "residents"
    other = "other"


class Stance(Labeled):
    ally = "ally"
    neutral = "neutral"
    opposed = "opposed"


class Recommendation(Labeled):
    approve = "approve"
    request_changes = "request_changes"
    decline = "decline"


class FeedbackLevel(Labeled):
    required = "required"
    suggestion = "suggestion"


class VoteChoice(Labeled):
    affirm = "affirm"
    object = "object"


class NotificationCategory(Labeled):
    action = "action"
    network = "network"
    account = "account"


class NotificationStatus(Labeled):
    pending = "pending"
    sent = "sent"
    failed = "failed"
    skipped = "skipped"


class NetworkPreference(Labeled):
    immediate = "immediate"
    daily = "daily"
    off = "off"


class AccessRequestStatus(Labeled):
    pending = "pending"
    approved = "approved"
    rejected = "rejected"


class Section(Labeled):
    """The parts of a case study, in the order of SPEC §3."""

    summary = "summary"
    overview = "overview"
    timeline = "timeline"
    political_environment = "political_environment"
    stakeholders = "stakeholders"
    collaborative_governance = "collaborative_governance"
    equity = "equity"
    outcomes = "outcomes"
    lessons = "lessons"
    resources = "resources"


# Sections written in Markdown and stored twice: as typed and as sanitised HTML.
MARKDOWN_SECTIONS = (
    Section.overview,
    Section.political_environment,
    Section.collaborative_governance,
    Section.equity,
    Section.outcomes,
    Section.lessons,
)

# Every member's label, marked for translation (one entry per value: members share labels).
LABELS = {
    # Each language by its own name, untranslated (as LOCALES below).
    "en": "English",
    "es": "Español",
    "member": _l("Member"),
    "partner": _l("Partner"),
    "staff": _l("Staff"),
    "draft": _l("Draft"),
    "submitted": _l("Submitted"),
    "in_review": _l("In review"),
    "changes_requested": _l("Changes requested"),
    "in_affirmation": _l("In network affirmation"),
    "affirmed": _l("Affirmed"),
    "published": _l("Published"),
    "declined": _l("Declined"),
    "withdrawn": _l("Withdrawn"),
    "policy_win": _l("Policy win"),
    "organizing_example": _l("Organizing example"),
    "city": _l("City"),
    "county": _l("County"),
    "town": _l("Town"),
    "school_district": _l("School district"),
    "special_district": _l("Special district"),
    "tribal": _l("Tribal"),
    "state": _l("State"),
    "consolidated_city_county": _l("Consolidated city-county"),
    "federal_district": _l("Federal district"),
    "other": _l("Other"),
    "under_10k": _l("Under 10,000"),
    "10k_50k": _l("10,000–50,000"),
    "50k_250k": _l("50,000–250,000"),
    "250k_1m": _l("250,000–1 million"),
    "over_1m": _l("Over 1 million"),
    "community_organisation": _l("Community organisation"),
    "labor_union": _l("Labor union"),
    "policy_group": _l("Policy or advocacy group"),
    "government_body": _l("Government body"),
    "elected_official": _l("Elected official"),
    "business": _l("Business"),
    "residents": _l("Residents"),
    "ally": _l("Ally"),
    "neutral": _l("Neutral"),
    "opposed": _l("Opposed"),
    "approve": _l("Approve"),
    "request_changes": _l("Request changes"),
    "decline": _l("Decline"),
    "required": _l("Required"),
    "suggestion": _l("Suggestion"),
    "affirm": _l("Affirm"),
    "object": _l("Object"),
    "action": _l("Action"),
    "network": _l("Network"),
    "account": _l("Account"),
    "pending": _l("Pending"),
    "sent": _l("Sent"),
    "failed": _l("Failed"),
    "skipped": _l("Skipped"),
    "immediate": _l("Immediate"),
    "daily": _l("Daily digest"),
    "off": _l("Off"),
    "approved": _l("Approved"),
    "rejected": _l("Rejected"),
    "summary": _l("Summary"),
    "overview": _l("Overview"),
    "timeline": _l("Timeline"),
    "political_environment": _l("Political environment"),
    "stakeholders": _l("Stakeholders"),
    "collaborative_governance": _l("Collaborative governance"),
    "equity": _l("Equity"),
    "outcomes": _l("Outcomes and impact"),
    "lessons": _l("Lessons and advice for replication"),
    "resources": _l("Resources"),
}

# The languages the product speaks, each by its own name (the footer's switch shows these);
# English is the source language and the default.
LOCALES = {"en": "English", "es": "Español"}

US_STATES = {
    "AL": "Alabama",
    "AK": "Alaska",
    "AZ": "Arizona",
    "AR": "Arkansas",
    "CA": "California",
    "CO": "Colorado",
    "CT": "Connecticut",
    "DE": "Delaware",
    "DC": "District of Columbia",
    "FL": "Florida",
    "GA": "Georgia",
    "HI": "Hawaii",
    "ID": "Idaho",
    "IL": "Illinois",
    "IN": "Indiana",
    "IA": "Iowa",
    "KS": "Kansas",
    "KY": "Kentucky",
    "LA": "Louisiana",
    "ME": "Maine",
    "MD": "Maryland",
    "MA": "Massachusetts",
    "MI": "Michigan",
    "MN": "Minnesota",
    "MS": "Mississippi",
    "MO": "Missouri",
    "MT": "Montana",
    "NE": "Nebraska",
    "NV": "Nevada",
    "NH": "New Hampshire",
    "NJ": "New Jersey",
    "NM": "New Mexico",
    "NY": "New York",
    "NC": "North Carolina",
    "ND": "North Dakota",
    "OH": "Ohio",
    "OK": "Oklahoma",
    "OR": "Oregon",
    "PA": "Pennsylvania",
    "RI": "Rhode Island",
    "SC": "South Carolina",
    "SD": "South Dakota",
    "TN": "Tennessee",
    "TX": "Texas",
    "UT": "Utah",
    "VT": "Vermont",
    "VA": "Virginia",
    "WA": "Washington",
    "WV": "West Virginia",
    "WI": "Wisconsin",
    "WY": "Wyoming",
    "AS": "American Samoa",
    "GU": "Guam",
    "MP": "Northern Mariana Islands",
    "PR": "Puerto Rico",
    "VI": "U.S. Virgin Islands",
}
