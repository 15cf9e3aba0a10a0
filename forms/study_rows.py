"""The rows of the editor's lists (timeline events, stakeholders, links) and the dates people
write in them."""

import re
from datetime import date
from urllib.parse import urlsplit

from wtforms import Form, SelectField, StringField, TextAreaField
from wtforms.validators import Length, ValidationError

from models.case_study import MONTHS
from models.enums import StakeholderType, Stance


def _choices(enum, blank: str = "—") -> list[tuple[str, str]]:
    return [("", blank)] + enum.choices()


_ISO = re.compile(r"^(\d{4})(?:-(\d{1,2})(?:-(\d{1,2}))?)?$")
_WORDS = re.compile(r"^(?:(\d{1,2})\s+)?([a-z]+)\.?(?:\s+(\d{1,2}),?)?\s+(\d{4})$")
MONTH_NAMES = {name.lower(): n for n, name in enumerate(MONTHS, start=1)}
MONTH_NAMES.update({name[:3].lower(): n for n, name in enumerate(MONTHS, start=1)})
MONTH_NAMES["sept"] = 9
DATE_EXAMPLES = "a year (2019), a month (April 2019 or 2019-04) or a day (14 April 2019)"


def parse_event_date(text: str) -> tuple[int, int | None, int | None]:
    """Parse a date as people write it: "2019", "2019-04", "April 2019", "Apr 2019",
    "14 April 2019", "April 14, 2019" or "2019-04-14". Return (year, month, day), month and
    day None when not given; raise ValueError with a message a person understands."""
    cleaned = " ".join((text or "").replace(",", " , ").split()).replace(" ,", ",").lower()
    match = _ISO.match(cleaned)
    if match:
        year, month, day = int(match[1]), match[2], match[3]
    else:
        words = _WORDS.match(cleaned)
        if not words or words[2] not in MONTH_NAMES or (words[1] and words[3]):
            raise ValueError(f"Write the date as {DATE_EXAMPLES}.")
        year, month, day = int(words[4]), MONTH_NAMES[words[2]], words[1] or words[3]
    month = int(month) if month else None
    day = int(day) if day else None
    if not 1800 <= year <= 2100:
        raise ValueError("The year must be between 1800 and 2100.")
    if month is not None and not 1 <= month <= 12:
        raise ValueError("The month must be between 1 and 12.")
    if day is not None:
        try:
            date(year, month, day)
        except ValueError:
            raise ValueError("That day does not exist in that month.") from None
    return year, month, day


class TimelineRowForm(Form):
    date = StringField("Date", validators=[Length(max=40)])
    description = TextAreaField("What happened", validators=[Length(max=2000)])

    def is_blank(self) -> bool:
        return not ((self.date.data or "").strip() or (self.description.data or "").strip())

    def validate_date(self, field):
        if self.is_blank():
            return
        if not (field.data or "").strip():
            raise ValidationError(f"Give the date of this event: {DATE_EXAMPLES}.")
        try:
            parse_event_date(field.data)
        except ValueError as exc:
            raise ValidationError(str(exc)) from None

    def validate_description(self, field):
        if not self.is_blank() and not (field.data or "").strip():
            raise ValidationError("Say what happened on this date.")


class StakeholderRowForm(Form):
    name = StringField("Name", validators=[Length(max=200)])
    type = SelectField("Type", choices=_choices(StakeholderType), default="")
    role = StringField("Role", validators=[Length(max=2000)])
    stance = SelectField("Stance", choices=_choices(Stance), default="")

    def is_blank(self) -> bool:
        return not any(
            (f.data or "").strip() for f in (self.name, self.type, self.role, self.stance)
        )

    def validate_name(self, field):
        if not self.is_blank() and not (field.data or "").strip():
            raise ValidationError("Give the name of this stakeholder.")

    def validate_type(self, field):
        if not self.is_blank() and not field.data:
            raise ValidationError("Choose what kind of stakeholder this is.")

    def validate_stance(self, field):
        if not self.is_blank() and not field.data:
            raise ValidationError("Choose whether they were an ally, neutral or opposed.")


class LinkRowForm(Form):
    label = StringField("Label", validators=[Length(max=200)])
    url = StringField("Address (URL)", validators=[Length(max=2000)])

    def is_blank(self) -> bool:
        return not ((self.label.data or "").strip() or (self.url.data or "").strip())

    def validate_label(self, field):
        if not self.is_blank() and not (field.data or "").strip():
            raise ValidationError("Give this link a label a reader will understand.")

    def validate_url(self, field):
        if self.is_blank():
            return
        parts = urlsplit((field.data or "").strip())
        if parts.scheme.lower() not in {"http", "https"} or not parts.netloc:
            raise ValidationError("Use a full web address starting with http:// or https://.")
