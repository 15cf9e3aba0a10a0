"""Forms of the staff console."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    DateField,
    DateTimeLocalField,
    DecimalField,
    EmailField,
    IntegerField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import Email, InputRequired, Length, NumberRange, Optional

from models.enums import Recommendation, UserKind

REASON_HINT = "Recorded in the study's history and the audit log."


class InviteForm(FlaskForm):
    name = StringField(_l("Name"), validators=[InputRequired(), Length(max=120)])
    email = EmailField(_l("Email"), validators=[InputRequired(), Email(), Length(max=254)])
    kind = SelectField(_l("Kind"), choices=UserKind.choices(), default=UserKind.member.value)


class KindForm(FlaskForm):
    kind = SelectField(_l("Kind"), choices=UserKind.choices())


class CochairAddForm(FlaskForm):
    """Make a person co-chair of a pillar; the choices are filled in by the view."""

    pillar_id = SelectField(_l("Pillar"), coerce=int, validators=[InputRequired()])


class CochairPersonForm(FlaskForm):
    """Add a co-chair to a pillar by email."""

    email = EmailField(_l("Member's email"), validators=[InputRequired(), Email(), Length(max=254)])


class PillarForm(FlaskForm):
    name = StringField(_l("Name"), validators=[InputRequired(), Length(max=120)])
    description = TextAreaField(_l("Short description"), validators=[Optional(), Length(max=2000)])
    review_quorum = IntegerField(
        _l("Review quorum"), validators=[InputRequired(), NumberRange(min=1, max=15)]
    )
    review_due_days = IntegerField(
        _l("Review due in (days)"), validators=[InputRequired(), NumberRange(min=1, max=365)]
    )


class SettingsForm(FlaskForm):
    affirmation_days = IntegerField(
        _l("Affirmation window (days)"), validators=[InputRequired(), NumberRange(min=1, max=365)]
    )
    affirmation_min_votes = IntegerField(
        _l("Minimum affirm votes"), validators=[InputRequired(), NumberRange(min=0, max=10_000)]
    )
    affirmation_threshold = DecimalField(
        _l("Threshold (share of affirm votes, 0 to 1)"),
        places=None,
        validators=[InputRequired(), NumberRange(min=0, max=1)],
    )


class ReasonForm(FlaskForm):
    """Unpublish, reopen a declined study: a reason is required."""

    reason = TextAreaField(_l("Reason"), validators=[InputRequired(), Length(max=5000)])


class OverrideForm(FlaskForm):
    """Staff record a review in place of the co-chairs."""

    recommendation = SelectField(_l("Recommendation"), choices=Recommendation.choices())
    overall = TextAreaField(_l("Overall comment"), validators=[Optional(), Length(max=20_000)])
    reason = TextAreaField(
        _l("Reason for acting in place of the co-chairs"),
        validators=[InputRequired(), Length(max=5000)],
    )


class ExtendForm(FlaskForm):
    """Staff move an affirmation's deadline later: the time is typed in their own zone, which
    the label names (the view converts it to UTC)."""

    closes_at = DateTimeLocalField(
        _l("New closing time"), format="%Y-%m-%dT%H:%M", validators=[InputRequired()]
    )
    reason = TextAreaField(_l("Reason"), validators=[InputRequired(), Length(max=5000)])

    def __init__(self, *args, zone_name: str = "UTC", **kwargs):
        super().__init__(*args, **kwargs)
        self.closes_at.label.text = _l("New closing time (%(zone)s)", zone=zone_name)


class AuditFilterForm(FlaskForm):
    """The audit log's filters (GET, no CSRF)."""

    class Meta:
        csrf = False

    study = IntegerField(_l("Study number"), validators=[Optional(), NumberRange(min=1)])
    person = StringField(_l("Person (email)"), validators=[Optional(), Length(max=254)])
    event = SelectField(
        _l("Event"), choices=[("", _l("Any event"))], validators=[Optional()], validate_choice=False
    )
    date_from = DateField(_l("From"), validators=[Optional()])
    date_to = DateField(_l("To"), validators=[Optional()])
