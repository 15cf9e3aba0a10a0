"""The rows of the editor's lists (timeline events, stakeholders, links); the dates people
write in them are read by forms/dates.py."""

from urllib.parse import urlsplit

from flask_babel import lazy_gettext as _l
from wtforms import Form, SelectField, StringField, TextAreaField
from wtforms.validators import Length, ValidationError

from forms.dates import DATE_EXAMPLES, parse_event_date
from models.enums import StakeholderType, Stance


def _choices(enum, blank: str = "—") -> list[tuple[str, str]]:
    return [("", blank)] + enum.choices()


class TimelineRowForm(Form):
    date = StringField(_l("Date"), validators=[Length(max=40)])
    description = TextAreaField(_l("What happened"), validators=[Length(max=2000)])

    def is_blank(self) -> bool:
        return not ((self.date.data or "").strip() or (self.description.data or "").strip())

    def validate_date(self, field):
        if self.is_blank():
            return
        if not (field.data or "").strip():
            raise ValidationError(
                _l("Give the date of this event: %(examples)s.", examples=DATE_EXAMPLES)
            )
        try:
            parse_event_date(field.data)
        except ValueError as exc:
            raise ValidationError(str(exc)) from None

    def validate_description(self, field):
        if not self.is_blank() and not (field.data or "").strip():
            raise ValidationError(_l("Say what happened on this date."))


class StakeholderRowForm(Form):
    name = StringField(_l("Name"), validators=[Length(max=200)])
    type = SelectField(_l("Type"), choices=_choices(StakeholderType), default="")
    role = StringField(_l("Role"), validators=[Length(max=2000)])
    stance = SelectField(_l("Stance"), choices=_choices(Stance), default="")

    def is_blank(self) -> bool:
        return not any(
            (f.data or "").strip() for f in (self.name, self.type, self.role, self.stance)
        )

    def validate_name(self, field):
        if not self.is_blank() and not (field.data or "").strip():
            raise ValidationError(_l("Give the name of this stakeholder."))

    def validate_type(self, field):
        if not self.is_blank() and not field.data:
            raise ValidationError(_l("Choose what kind of stakeholder this is."))

    def validate_stance(self, field):
        if not self.is_blank() and not field.data:
            raise ValidationError(_l("Choose whether they were an ally, neutral or opposed."))


class LinkRowForm(Form):
    label = StringField(_l("Label"), validators=[Length(max=200)])
    url = StringField(_l("Address (URL)"), validators=[Length(max=2000)])

    def is_blank(self) -> bool:
        return not ((self.label.data or "").strip() or (self.url.data or "").strip())

    def validate_label(self, field):
        if not self.is_blank() and not (field.data or "").strip():
            raise ValidationError(_l("Give this link a label a reader will understand."))

    def validate_url(self, field):
        if self.is_blank():
            return
        parts = urlsplit((field.data or "").strip())
        if parts.scheme.lower() not in {"http", "https"} or not parts.netloc:
            raise ValidationError(_l("Use a full web address starting with http:// or https://."))
