"""The notification preferences form."""

from flask_wtf import FlaskForm
from wtforms import RadioField, SelectMultipleField
from wtforms.validators import InputRequired
from wtforms.widgets import CheckboxInput, ListWidget

from models.enums import NetworkPreference

PREFERENCE_HINTS = {
    NetworkPreference.immediate: "each one as it happens",
    NetworkPreference.daily: "one email a day listing what happened, and none when nothing did",
    NetworkPreference.off: "no network emails; emails about your own studies and reviews still go",
}


class PillarCheckboxes(SelectMultipleField):
    """A multiple choice shown as checkboxes, which work without JavaScript."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class NotificationPreferencesForm(FlaskForm):
    network_preference = RadioField(
        "Network emails",
        choices=[(p.value, f"{p.label}: {PREFERENCE_HINTS[p]}") for p in NetworkPreference],
        validators=[InputRequired(message="Choose how often you want network emails.")],
    )
    pillars = PillarCheckboxes("Pillars I follow", coerce=int, validate_choice=True)
