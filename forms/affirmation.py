"""Network affirmation forms: the vote, a feedback comment or reply, and staff's extension."""

from datetime import UTC

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateTimeLocalField, HiddenField, RadioField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, ValidationError

from models.enums import VoteChoice

REASON_MAX = 5_000
COMMENT_MAX = 10_000


class VoteForm(FlaskForm):
    choice = RadioField(
        _l("Your vote"),
        choices=VoteChoice.choices(),
        validators=[InputRequired(message=_l("choose affirm or object."))],
    )
    reason = TextAreaField(
        _l("Reason"),
        # Not Optional(): that would stop the chain before validate_reason sees a blank.
        validators=[Length(max=REASON_MAX)],
        description=_l("Required when you object: the co-chairs and the authors read it."),
    )

    def validate_reason(self, field) -> None:
        if self.choice.data == VoteChoice.object.value and not (field.data or "").strip():
            raise ValidationError(_l("say why you object."))


class CommentForm(FlaskForm):
    parent_id = HiddenField()
    body = TextAreaField(
        _l("Comment"),
        validators=[DataRequired(message=_l("write something first.")), Length(max=COMMENT_MAX)],
        description=_l("Markdown is fine. The authors and the co-chairs read every comment."),
    )

    def parent(self) -> int | None:
        text = (self.parent_id.data or "").strip()
        return int(text) if text.isdigit() else None


class ExtendForm(FlaskForm):
    closes_at = DateTimeLocalField(
        _l("New deadline (UTC)"),
        format=["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S"],
        validators=[InputRequired(message=_l("give a date and time, later than the current one."))],
    )
    reason = TextAreaField(
        _l("Reason"),
        validators=[
            DataRequired(message=_l("say why the deadline moves.")),
            Length(max=REASON_MAX),
        ],
        description=_l("Recorded in the study's history."),
    )

    def new_deadline(self):
        return self.closes_at.data.replace(tzinfo=UTC)


class CloseEarlyForm(FlaskForm):
    reason = TextAreaField(
        _l("Reason"),
        validators=[
            DataRequired(message=_l("say why the vote closes before its deadline.")),
            Length(max=REASON_MAX),
        ],
        description=_l("Recorded in the study's history with the tally at this moment."),
    )
