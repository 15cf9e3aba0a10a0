"""Network affirmation forms: the vote, a feedback comment or reply, and staff's extension."""

from datetime import UTC

from flask_wtf import FlaskForm
from wtforms import DateTimeLocalField, HiddenField, RadioField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, ValidationError

from models.enums import VoteChoice

REASON_MAX = 5_000
COMMENT_MAX = 10_000


class VoteForm(FlaskForm):
    choice = RadioField(
        "Your vote",
        choices=VoteChoice.choices(),
        validators=[InputRequired(message="choose affirm or object.")],
    )
    reason = TextAreaField(
        "Reason",
        # Not Optional(): that would stop the chain before validate_reason sees a blank.
        validators=[Length(max=REASON_MAX)],
        description="Required when you object: the co-chairs and the authors read it.",
    )

    def validate_reason(self, field) -> None:
        if self.choice.data == VoteChoice.object.value and not (field.data or "").strip():
            raise ValidationError("say why you object.")


class CommentForm(FlaskForm):
    parent_id = HiddenField()
    body = TextAreaField(
        "Comment",
        validators=[DataRequired(message="write something first."), Length(max=COMMENT_MAX)],
        description="Markdown is fine. The authors and the co-chairs read every comment.",
    )

    def parent(self) -> int | None:
        text = (self.parent_id.data or "").strip()
        return int(text) if text.isdigit() else None


class ExtendForm(FlaskForm):
    closes_at = DateTimeLocalField(
        "New deadline (UTC)",
        format=["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S"],
        validators=[InputRequired(message="give a date and time, later than the current one.")],
    )
    reason = TextAreaField(
        "Reason",
        validators=[DataRequired(message="say why the deadline moves."), Length(max=REASON_MAX)],
        description="Recorded in the study's history.",
    )

    def new_deadline(self):
        return self.closes_at.data.replace(tzinfo=UTC)


class CloseEarlyForm(FlaskForm):
    reason = TextAreaField(
        "Reason",
        validators=[
            DataRequired(message="say why the vote closes before its deadline."),
            Length(max=REASON_MAX),
        ],
        description="Recorded in the study's history with the tally at this moment.",
    )
