"""The account page's forms: the profile, a new email address, a new password."""

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, SelectField, StringField
from wtforms.validators import Email, EqualTo, InputRequired, Length, Optional, ValidationError

from forms.auth import STATE_CHOICES
from models.enums import LOCALES
from models.zones import zone_choices


def known_zone(_form, field) -> None:
    """Refuse a zone name that is not in the list, saying which it was."""
    if field.data not in dict(zone_choices()):
        raise ValidationError(
            _(
                "“%(zone)s” is not a time zone we know; choose one from the list.",
                zone=(field.data or "")[:64],
            )
        )


class ProfileEditForm(FlaskForm):
    name = StringField(_l("Name"), validators=[InputRequired(), Length(max=120)])
    office = StringField(_l("Office"), validators=[Optional(), Length(max=160)])
    jurisdiction = StringField(_l("Jurisdiction"), validators=[Optional(), Length(max=160)])
    us_state = SelectField(_l("State"), choices=STATE_CHOICES, validators=[Optional()])
    organisation = StringField(_l("Organisation"), validators=[Optional(), Length(max=160)])
    time_zone = SelectField(
        _l("Time zone"),
        choices=zone_choices,
        validate_choice=False,
        validators=[Optional(), known_zone],
    )
    # Each language by its own name, as the footer's switch shows it; not sent: unchanged.
    locale = SelectField(
        _l("Language of pages and emails"), choices=list(LOCALES.items()), validators=[Optional()]
    )


class EmailChangeForm(FlaskForm):
    new_email = EmailField(
        _l("New email address"), validators=[InputRequired(), Email(), Length(max=254)]
    )
    current_password = PasswordField(
        _l("Your current password"), validators=[InputRequired(), Length(max=1024)]
    )


class PasswordChangeForm(FlaskForm):
    current_password = PasswordField(
        _l("Current password"), validators=[InputRequired(), Length(max=1024)]
    )
    password = PasswordField(_l("New password"), validators=[InputRequired(), Length(max=1024)])
    confirm = PasswordField(
        _l("Repeat the new password"),
        validators=[InputRequired(), EqualTo("password", message=_l("The two passwords differ."))],
    )
