"""The staff correction of a published case study, and the change of its address."""

from flask_wtf import FlaskForm
from wtforms import HiddenField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length

from models.enums import MARKDOWN_SECTIONS


class StudyCorrectionForm(FlaskForm):
    version = HiddenField()
    title = StringField("Title", validators=[InputRequired(), Length(max=200)])
    summary = TextAreaField("Summary", validators=[InputRequired(), Length(max=400)])
    note = StringField(
        "What was corrected",
        validators=[InputRequired(message="Say what you corrected."), Length(max=500)],
    )


for _section in MARKDOWN_SECTIONS:
    setattr(
        StudyCorrectionForm,
        f"{_section.value}_md",
        TextAreaField(_section.label, validators=[Length(max=50_000)]),
    )


class StudySlugForm(FlaskForm):
    slug = StringField(
        "Address (slug)",
        validators=[InputRequired(message="Give the study an address."), Length(max=80)],
    )
