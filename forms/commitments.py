"""Forms of the committed-officials list: staff adding one official and importing a CSV."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import DateField, HiddenField, SelectField, StringField
from wtforms.validators import InputRequired, Length, Optional

from models.enums import US_STATES

STATE_CHOICES = [("", "—")] + [(code, name) for code, name in US_STATES.items()]


class CommitmentAddForm(FlaskForm):
    name = StringField(_l("Name"), validators=[InputRequired(), Length(max=120)])
    office = StringField(_l("Office"), validators=[Optional(), Length(max=160)])
    jurisdiction = StringField(_l("Jurisdiction"), validators=[Optional(), Length(max=160)])
    us_state = SelectField(
        _l("State"),
        choices=STATE_CHOICES,
        validators=[InputRequired(message=_l("Choose the official's state."))],
    )
    committed_on = DateField(_l("Date committed"), validators=[Optional()])


class CommitmentImportForm(FlaskForm):
    file = FileField(_l("CSV file"))
    # After the preview, the checked text comes back with the confirmation.
    csv_text = HiddenField()
