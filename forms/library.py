"""The staff correction of a published case study, the change of its address, and the import
of studies published elsewhere."""

from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, HiddenField, StringField, TextAreaField
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


class StudyImportForm(FlaskForm):
    file = FileField(
        "JSON or CSV file",
        validators=[FileRequired("Choose the file of studies to import.")],
    )
    invite = BooleanField("Email an invitation to each author who has no account yet")


class SynonymsForm(FlaskForm):
    text = TextAreaField(
        "Synonyms",
        validators=[Length(max=20_000, message="At most 20,000 characters, please.")],
    )
