"""Forms of the staff console."""

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
    name = StringField("Name", validators=[InputRequired(), Length(max=120)])
    email = EmailField("Email", validators=[InputRequired(), Email(), Length(max=254)])
    kind = SelectField("Kind", choices=UserKind.choices(), default=UserKind.member.value)


class KindForm(FlaskForm):
    kind = SelectField("Kind", choices=UserKind.choices())


class CochairAddForm(FlaskForm):
    """Make a person co-chair of a pillar; the choices are filled in by the view."""

    pillar_id = SelectField("Pillar", coerce=int, validators=[InputRequired()])


class CochairPersonForm(FlaskForm):
    """Add a co-chair to a pillar by email."""

    email = EmailField("Member's email", validators=[InputRequired(), Email(), Length(max=254)])


class PillarForm(FlaskForm):
    name = StringField("Name", validators=[InputRequired(), Length(max=120)])
    description = TextAreaField("Short description", validators=[Optional(), Length(max=2000)])
    review_quorum = IntegerField(
        "Review quorum", validators=[InputRequired(), NumberRange(min=1, max=15)]
    )
    review_due_days = IntegerField(
        "Review due in (days)", validators=[InputRequired(), NumberRange(min=1, max=365)]
    )


class SettingsForm(FlaskForm):
    affirmation_days = IntegerField(
        "Affirmation window (days)", validators=[InputRequired(), NumberRange(min=1, max=365)]
    )
    affirmation_min_votes = IntegerField(
        "Minimum affirm votes", validators=[InputRequired(), NumberRange(min=0, max=10_000)]
    )
    affirmation_threshold = DecimalField(
        "Threshold (share of affirm votes, 0 to 1)",
        places=None,
        validators=[InputRequired(), NumberRange(min=0, max=1)],
    )


class ReasonForm(FlaskForm):
    """Unpublish, reopen a declined study: a reason is required."""

    reason = TextAreaField("Reason", validators=[InputRequired(), Length(max=5000)])


class OverrideForm(FlaskForm):
    """Staff record a review in place of the co-chairs."""

    recommendation = SelectField("Recommendation", choices=Recommendation.choices())
    overall = TextAreaField("Overall comment", validators=[Optional(), Length(max=20_000)])
    reason = TextAreaField(
        "Reason for acting in place of the co-chairs",
        validators=[InputRequired(), Length(max=5000)],
    )


class ExtendForm(FlaskForm):
    closes_at = DateTimeLocalField(
        "New closing time (UTC)", format="%Y-%m-%dT%H:%M", validators=[InputRequired()]
    )
    reason = TextAreaField("Reason", validators=[InputRequired(), Length(max=5000)])


class AuditFilterForm(FlaskForm):
    """The audit log's filters (GET, no CSRF)."""

    class Meta:
        csrf = False

    study = IntegerField("Study number", validators=[Optional(), NumberRange(min=1)])
    person = StringField("Person (email)", validators=[Optional(), Length(max=254)])
    event = SelectField(
        "Event", choices=[("", "Any event")], validators=[Optional()], validate_choice=False
    )
    date_from = DateField("From", validators=[Optional()])
    date_to = DateField("To", validators=[Optional()])
