"""The notification preferences form."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import RadioField, SelectMultipleField
from wtforms.validators import InputRequired
from wtforms.widgets import CheckboxInput, ListWidget

from models.enums import NetworkPreference

PREFERENCE_HINTS = {
    NetworkPreference.immediate: _l("each one as it happens"),
    NetworkPreference.daily: _l("one email a day listing what happened, and none when nothing did"),
    NetworkPreference.off: _l(
        "no network emails; emails about your own studies and reviews still go"
    ),
}


class PillarCheckboxes(SelectMultipleField):
    """A multiple choice shown as checkboxes, which work without JavaScript."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class NotificationPreferencesForm(FlaskForm):
    network_preference = RadioField(
        _l("Network emails"),
        choices=[
            (p.value, _l("%(label)s: %(hint)s", label=p.lazy_label, hint=PREFERENCE_HINTS[p]))
            for p in NetworkPreference
        ],
        validators=[InputRequired(message=_l("Choose how often you want network emails."))],
    )
    pillars = PillarCheckboxes(_l("Pillars I follow"), coerce=int, validate_choice=True)
