"""Case-study authoring forms: the new-study form, the one-page editor, co-authors, files."""

import re

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from werkzeug.datastructures import MultiDict
from wtforms import (
    EmailField,
    HiddenField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.fields import FieldList, FormField
from wtforms.validators import Email, InputRequired, Length, NumberRange, Optional, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget, TextInput

from forms.study_rows import (
    LinkRowForm,
    StakeholderRowForm,
    TimelineRowForm,
    parse_event_date,
)
from models.enums import (
    MARKDOWN_SECTIONS,
    US_STATES,
    ContentLanguage,
    GovernmentType,
    PopulationBand,
    Section,
    StakeholderType,
    Stance,
    StudyKind,
)

# Blank rows offered below the filled ones, so rows can be added without JavaScript.
TOPIC_MAX = 60  # the length of Topic.name
BLANK_ROWS = {"timeline": 2, "stakeholders": 1, "links": 1}
MAX_ROWS = 100
SUMMARY_LENGTH = Length(max=400, message=_l("At most 400 characters, please."))

_TOPIC_TOO_LONG = _l(
    "“%(start)s…” is %(length)s characters long; a topic has at most %(max)s. "
    "Shorten it or split it with a comma."
)

# One line under each part of the editor: what a reader elsewhere will need from it.
HINTS = {
    "title": _l("A short name another official would search for."),
    "pillar_id": _l("The Dare to Reimagine pillar whose co-chairs will review it."),
    "kind": _l("A policy that was won, or an example of organizing."),
    "place": _l("The city, county, town or district, e.g. “Takoma Park”."),
    "slug": _l(
        "The study's address in the library once published: lower-case letters, digits and "
        "hyphens. Leave it empty for one made of the place and the title."
    ),
    "state_code": _l("The state or territory."),
    "government_type": _l("The level of government where this happened."),
    "population": _l("How many people live there, e.g. 33,782 (the latest census figure)."),
    "population_band": _l(
        "Only if the exact number is not known: roughly how many people live there."
    ),
    "secondary_pillar_ids": _l(
        "Other pillars this study also speaks to (optional): it is listed under them too."
    ),
    "year_start": _l("The year the work began."),
    "year_end": _l("The year it was won or finished (leave empty if ongoing)."),
    "topics": _l("Comma-separated tags, e.g. housing, public safety."),
    "language": _l("The language the study is written in; the library can be filtered by it."),
    "summary_translation": _l("Optional: the summary in the other language, for readers of it."),
    Section.summary.value: _l(
        "One or two sentences (at most 400 characters), shown on library cards."
    ),
    Section.overview.value: _l("The policy or program: what was won or built."),
    Section.timeline.value: _l(
        "The dated events a peer would need to plan their own campaign; "
        "at least two. A date may be a year (2019), a month (April 2019) or a day (14 April 2019)."
    ),
    Section.political_environment.value: _l(
        "The context, the opposition, and what made it possible (at least 150 characters)."
    ),
    Section.stakeholders.value: _l("Who was involved, what they did, and where they stood."),
    Section.collaborative_governance.value: _l("How the community shared power in the work."),
    Section.equity.value: _l("Who benefits, and how equity was centred (optional)."),
    Section.outcomes.value: _l("What changed, with numbers where you have them."),
    Section.lessons.value: _l("What you would tell someone doing this at home (optional)."),
    Section.resources.value: _l(
        "Links and files a reader can use (optional): PDF, DOCX, PNG or JPEG, up to 10 MB each."
    ),
}


def parse_topics(text: str) -> list[str]:
    """Split comma-separated tags into distinct, trimmed, lower-case names, in order."""
    seen: list[str] = []
    for raw in (text or "").split(","):
        name = " ".join(raw.split()).lower()[:TOPIC_MAX].strip()
        if name and name not in seen:
            seen.append(name)
    return seen


def _choices(enum, blank: str = "—") -> list[tuple[str, str]]:
    return [("", blank)] + enum.choices()


POPULATION_MAX = 100_000_000
POPULATION_MAX_TEXT = f"{POPULATION_MAX:,}"


class CountField(IntegerField):
    """A whole number as people write it: "33,782", "33 782" or "33782"."""

    widget = TextInput()  # a number input would refuse the separators people type

    def process_formdata(self, valuelist):
        if not valuelist:
            return
        text = re.sub(r"[\s,_\u00a0\u202f]", "", valuelist[0] or "")
        number = text.isascii() and text.isdigit()
        self.data = int(text) if number else None
        if text and not number:
            raise ValueError(_("Give a whole number, e.g. 33,782."))

    def validate(self, form, extra_validators=()):
        if self.process_errors:  # not a number: the range has nothing to say about it
            self.errors = list(self.process_errors)
            return False
        return super().validate(form, extra_validators)


class CheckboxesField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class StudyNewForm(FlaskForm):
    title = StringField(_l("Title"), validators=[InputRequired(), Length(max=200)])
    pillar_id = SelectField(_l("Pillar"), coerce=int, validators=[InputRequired()])


class StudyEditForm(FlaskForm):
    """The whole working copy on one page; a draft needs only a title and a pillar."""

    version = HiddenField()
    title = StringField(_l("Title"), validators=[InputRequired(), Length(max=200)])
    pillar_id = SelectField(_l("Pillar"), coerce=int, validators=[InputRequired()])
    kind = SelectField(_l("Kind"), choices=_choices(StudyKind), validators=[Optional()])
    place = StringField(_l("Place"), validators=[Optional(), Length(max=160)])
    slug = StringField(
        _l("Address (slug)"),
        validators=[Optional(), Length(max=80, message=_l("At most 80 characters, please."))],
    )
    state_code = SelectField(
        _l("State"), choices=[("", "—")] + list(US_STATES.items()), validators=[Optional()]
    )
    government_type = SelectField(
        _l("Government type"), choices=_choices(GovernmentType), validators=[Optional()]
    )
    population = CountField(
        _l("Population"),
        validators=[
            Optional(),
            NumberRange(
                0,
                POPULATION_MAX,
                _l("Give a number between 0 and %(max)s.", max=POPULATION_MAX_TEXT),
            ),
        ],
    )
    population_band = SelectField(
        _l("Population band"), choices=_choices(PopulationBand), validators=[Optional()]
    )
    secondary_pillar_ids = CheckboxesField(_l("Also in pillars"), coerce=int, choices=[])
    year_start = IntegerField(
        _l("Year started"),
        validators=[Optional(), NumberRange(1800, 2100, _l("Give a year between 1800 and 2100."))],
    )
    year_end = IntegerField(
        _l("Year won or finished"),
        validators=[Optional(), NumberRange(1800, 2100, _l("Give a year between 1800 and 2100."))],
    )
    topics = StringField(_l("Topics"), validators=[Optional(), Length(max=1000)])
    language = SelectField(_l("Written in"), choices=ContentLanguage.choices(), default="en")

    summary = TextAreaField(Section.summary.lazy_label, validators=[Optional(), SUMMARY_LENGTH])
    summary_translation = TextAreaField(_l("Summary in the other language"), [SUMMARY_LENGTH])
    overview_md = TextAreaField(Section.overview.lazy_label, validators=[Length(max=100_000)])
    timeline = FieldList(FormField(TimelineRowForm), max_entries=MAX_ROWS)
    political_environment_md = TextAreaField(
        Section.political_environment.lazy_label, validators=[Length(max=100_000)]
    )
    stakeholders = FieldList(FormField(StakeholderRowForm), max_entries=MAX_ROWS)
    collaborative_governance_md = TextAreaField(
        Section.collaborative_governance.lazy_label, validators=[Length(max=100_000)]
    )
    equity_md = TextAreaField(Section.equity.lazy_label, validators=[Length(max=100_000)])
    outcomes_md = TextAreaField(Section.outcomes.lazy_label, validators=[Length(max=100_000)])
    lessons_md = TextAreaField(Section.lessons.lazy_label, validators=[Length(max=100_000)])
    links = FieldList(FormField(LinkRowForm), max_entries=MAX_ROWS)

    def validate_topics(self, field):
        for raw in (field.data or "").split(","):
            name = " ".join(raw.split())
            if len(name) > TOPIC_MAX:
                too_long = dict(start=name[:20], length=len(name), max=TOPIC_MAX)
                raise ValidationError(_TOPIC_TOO_LONG % too_long)

    def offer_pillars(self, choices: list[tuple[int, str]]) -> "StudyEditForm":
        """Set the pillars to choose from, primary and secondary; return the form."""
        self.pillar_id.choices = choices
        self.secondary_pillar_ids.choices = choices
        return self

    def validate_secondary_pillar_ids(self, field):
        if self.pillar_id.data in (field.data or []):
            raise ValidationError(_l("The primary pillar cannot also be a secondary one."))

    def validate_year_end(self, field):
        if field.data and self.year_start.data and field.data < self.year_start.data:
            raise ValidationError(_l("The end year is before the start year."))

    def values(self) -> dict:
        """Return what to save: plain values, blank rows dropped, dates parsed."""
        values = {
            name: getattr(self, name).data
            for name in (
                "title",
                "pillar_id",
                "place",
                "summary",
                "summary_translation",
                "year_start",
                "year_end",
                "population",
                "overview_md",
                "political_environment_md",
                "collaborative_governance_md",
                "equity_md",
                "outcomes_md",
                "lessons_md",
            )
        }
        for name in values:
            if isinstance(getattr(self, name), (StringField, TextAreaField)):
                values[name] = values[name] or ""  # a field left out of the post is empty
        values["title"] = values["title"].strip()
        values["place"] = values["place"].strip()
        for name, enum in (
            ("kind", StudyKind),
            ("government_type", GovernmentType),
            ("population_band", PopulationBand),
        ):
            data = getattr(self, name).data
            values[name] = enum(data) if data else None
        if values["population"] is not None:
            values["population_band"] = PopulationBand.of(values["population"])
        values["secondary_pillar_ids"] = list(self.secondary_pillar_ids.data or [])
        values["state_code"] = self.state_code.data or ""
        values["language"] = ContentLanguage(self.language.data or "en")
        values["slug"] = (self.slug.data or "").strip() or None
        values["topics"] = parse_topics(self.topics.data)
        values["timeline"] = [
            (*parse_event_date(row.form.date.data), row.form.description.data.strip())
            for row in self.timeline
            if not row.form.is_blank()
        ]
        values["stakeholders"] = [
            {
                "name": row.form.name.data.strip(),
                "type": StakeholderType(row.form.type.data),
                "role": (row.form.role.data or "").strip(),
                "stance": Stance(row.form.stance.data),
            }
            for row in self.stakeholders
            if not row.form.is_blank()
        ]
        values["links"] = [
            {"label": row.form.label.data.strip(), "url": row.form.url.data.strip()}
            for row in self.links
            if not row.form.is_blank()
        ]
        return values


class CoauthorAddForm(FlaskForm):
    email = EmailField(
        _l("Co-author's email"), validators=[InputRequired(), Email(), Length(max=254)]
    )


class AttachmentUploadForm(FlaskForm):
    file = FileField(_l("File"), validators=[FileRequired("Choose a file to upload.")])


_ROW_KEY = re.compile(r"^(timeline|stakeholders|links)-(\d+)-(\w+)$")
ROW_LISTS = ("timeline", "stakeholders", "links")


def apply_row_action(formdata, action: str):
    """Return the posted data with a row removed or moved, rows renumbered from 0.

    `action` is "remove:<list>:<i>", "up:<list>:<i>" or "down:<list>:<i>"; anything else
    returns the data unchanged. This is how rows are edited without JavaScript.
    """
    verb, _, rest = (action or "").partition(":")
    name, _, index = rest.partition(":")
    if verb not in {"remove", "up", "down"} or name not in ROW_LISTS or not index.isdigit():
        return formdata
    rows: dict[int, list[tuple[str, str]]] = {}
    others = []
    for key, value in formdata.items(multi=True):
        match = _ROW_KEY.match(key)
        if match and match[1] == name:
            rows.setdefault(int(match[2]), []).append((match[3], value))
        else:
            others.append((key, value))
    order = sorted(rows)
    position = order.index(int(index)) if int(index) in rows else None
    if position is not None:
        if verb == "remove":
            order.pop(position)
        elif verb == "up" and position > 0:
            order[position - 1], order[position] = order[position], order[position - 1]
        elif verb == "down" and position < len(order) - 1:
            order[position + 1], order[position] = order[position], order[position + 1]
    renumbered = [
        (f"{name}-{new}-{field}", value)
        for new, old in enumerate(order)
        for field, value in rows[old]
    ]
    return MultiDict(others + renumbered)


def initial_data(study) -> dict:
    """Return the editor's initial data for a saved study."""
    return {
        "version": study.version,
        "title": study.title,
        "pillar_id": study.pillar_id,
        "kind": study.kind.value if study.kind else "",
        "place": study.place,
        "slug": study.slug or "",
        "state_code": study.state_code,
        "government_type": study.government_type.value if study.government_type else "",
        "population": study.population,
        "population_band": study.population_band.value if study.population_band else "",
        "secondary_pillar_ids": [p.id for p in study.secondary_pillars],
        "year_start": study.year_start,
        "year_end": study.year_end,
        "topics": ", ".join(t.name for t in study.topics),
        "summary": study.summary,
        "language": study.language.value,
        "summary_translation": study.summary_translation,
        **{f"{s.value}_md": getattr(study, f"{s.value}_md") for s in MARKDOWN_SECTIONS},
        "timeline": [{"date": e.date_label, "description": e.description} for e in study.timeline],
        "stakeholders": [
            {"name": s.name, "type": s.type.value, "role": s.role, "stance": s.stance.value}
            for s in study.stakeholders
        ],
        "links": [{"label": lk.label, "url": lk.url} for lk in study.links],
    }


def error_list(form) -> list[tuple[str, str]]:
    """Return (field id, message naming the field) for every error, rows included."""
    out = []
    for name, errors in form.errors.items():
        field = form._fields.get(name)
        label = field.label.text if field is not None else name
        for i, error in enumerate(errors):
            if not isinstance(error, dict):  # a message (a str, or a lazily translated one)
                out.append((name, _("%(label)s: %(error)s", label=label, error=error)))
            else:  # one row of a list: {sub-field: [messages]}
                row = field[i].form
                for sub, messages in error.items():
                    sub_label = row[sub].label.text if sub in row else sub
                    where = _("%(label)s, row %(row)s", label=label, row=i + 1)
                    out.extend(
                        (f"{name}-{i}-{sub}", f"{where}, {sub_label}: {m}") for m in messages
                    )
    return out
