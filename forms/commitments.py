"""Forms of the committed-officials list: staff adding one official and importing a CSV."""

from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import DateField, HiddenField, SelectField, StringField
from wtforms.validators import InputRequired, Length, Optional

from models.enums import US_STATES

STATE_CHOICES = [("", "—")] + [(code, name) for code, name in US_STATES.items()]


class CommitmentAddForm(FlaskForm):
    name = StringField("Name", validators=[InputRequired(), Length(max=120)])
    office = StringField("Office", validators=[Optional(), Length(max=160)])
    jurisdiction = StringField("Jurisdiction", validators=[Optional(), Length(max=160)])
    us_state = SelectField(
        "State",
        choices=STATE_CHOICES,
        validators=[InputRequired(message="Choose the official's state.")],
    )
    committed_on = DateField("Date committed", validators=[Optional()])


class CommitmentImportForm(FlaskForm):
    file = FileField("CSV file")
    # After the preview, the checked text comes back with the confirmation.
    csv_text = HiddenField()
