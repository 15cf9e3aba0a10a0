"""Co-chair review forms: the review with its repeatable feedback rows, a declared conflict,
and the small form behind every workflow button."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import FieldList, Form, FormField, HiddenField, RadioField, SelectField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional, ValidationError

from models.enums import FeedbackLevel, Recommendation, Section

ITEMS_MAX = 50
BLANK_ITEMS = 1


class FeedbackItemForm(Form):
    """One feedback row; a row left without text is ignored."""

    section = SelectField(
        _l("Section"),
        choices=[("", _l("Choose a section…"))] + Section.choices(),
    )
    level = SelectField(
        _l("Kind"), choices=FeedbackLevel.choices(), default=FeedbackLevel.required.value
    )
    body = TextAreaField(_l("Feedback"), validators=[Optional(), Length(max=5000)])

    def validate_section(self, field) -> None:
        if (self.body.data or "").strip() and not field.data:
            raise ValidationError(_l("choose the section this feedback is about."))


class ReviewForm(FlaskForm):
    version = HiddenField()
    recommendation = RadioField(
        _l("Recommendation"),
        choices=Recommendation.choices(),
        validators=[InputRequired(message=_l("choose approve, request changes or decline."))],
    )
    overall = TextAreaField(
        _l("Overall comment"),
        validators=[Optional(), Length(max=20000)],
        description=_l(
            "What the authors should know first. Required when you recommend declining."
        ),
    )
    items = FieldList(FormField(FeedbackItemForm), min_entries=0, max_entries=ITEMS_MAX)
    reason = TextAreaField(
        _l("Reason for reviewing in place of the co-chairs"),
        validators=[Optional(), Length(max=5000)],
        description=_l("Staff only: recorded in the history with your review."),
    )

    def item_values(self) -> list[dict]:
        return [
            {"section": row.section.data, "level": row.level.data, "body": row.body.data}
            for row in self.items
            if (row.body.data or "").strip()
        ]


class ConflictForm(FlaskForm):
    version = HiddenField()
    comment = TextAreaField(
        _l("What is the conflict of interest?"),
        validators=[InputRequired(message=_l("say what the conflict is.")), Length(max=5000)],
    )


class TransitionForm(FlaskForm):
    """The hidden version and the optional note of a workflow button."""

    version = HiddenField()
    comment = TextAreaField(_l("Note"), validators=[Optional(), Length(max=5000)])
    reason = TextAreaField(_l("Reason"), validators=[Optional(), Length(max=5000)])

    def expected_version(self) -> int | None:
        text = (self.version.data or "").strip()
        return int(text) if text.isdigit() else None
