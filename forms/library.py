"""The staff correction of a published case study, the change of its address, and the import
of studies published elsewhere."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, HiddenField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length

from models.enums import MARKDOWN_SECTIONS


class StudyCorrectionForm(FlaskForm):
    version = HiddenField()
    title = StringField(_l("Title"), validators=[InputRequired(), Length(max=200)])
    summary = TextAreaField(_l("Summary"), validators=[InputRequired(), Length(max=400)])
    note = StringField(
        _l("What was corrected"),
        validators=[InputRequired(message=_l("Say what you corrected.")), Length(max=500)],
    )


for _section in MARKDOWN_SECTIONS:
    setattr(
        StudyCorrectionForm,
        f"{_section.value}_md",
        TextAreaField(_section.lazy_label, validators=[Length(max=50_000)]),
    )


class StudySlugForm(FlaskForm):
    slug = StringField(
        _l("Address (slug)"),
        validators=[InputRequired(message=_l("Give the study an address.")), Length(max=80)],
    )


class StudyImportForm(FlaskForm):
    file = FileField(
        _l("JSON, CSV or .zip file"),
        validators=[FileRequired("Choose the file of studies to import.")],
    )
    invite = BooleanField(_l("Email an invitation to each author who has no account yet"))


class SynonymsForm(FlaskForm):
    text = TextAreaField(
        _l("Synonyms"),
        validators=[Length(max=20_000, message=_l("At most 20,000 characters, please."))],
    )
