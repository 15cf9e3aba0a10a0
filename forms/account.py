"""The account page's forms: the profile, a new email address, a new password."""

from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, SelectField, StringField
from wtforms.validators import Email, EqualTo, InputRequired, Length, Optional, ValidationError

from forms.auth import STATE_CHOICES
from models.zones import zone_choices


def known_zone(_form, field) -> None:
    """Refuse a zone name that is not in the list, saying which it was."""
    if field.data not in dict(zone_choices()):
        raise ValidationError(
            f"“{(field.data or '')[:64]}” is not a time zone we know; choose one from the list."
        )


class ProfileEditForm(FlaskForm):
    name = StringField("Name", validators=[InputRequired(), Length(max=120)])
    office = StringField("Office", validators=[Optional(), Length(max=160)])
    jurisdiction = StringField("Jurisdiction", validators=[Optional(), Length(max=160)])
    us_state = SelectField("State", choices=STATE_CHOICES, validators=[Optional()])
    organisation = StringField("Organisation", validators=[Optional(), Length(max=160)])
    time_zone = SelectField(
        "Time zone",
        choices=zone_choices,
        validate_choice=False,
        validators=[Optional(), known_zone],
    )


class EmailChangeForm(FlaskForm):
    new_email = EmailField(
        "New email address", validators=[InputRequired(), Email(), Length(max=254)]
    )
    current_password = PasswordField(
        "Your current password", validators=[InputRequired(), Length(max=1024)]
    )


class PasswordChangeForm(FlaskForm):
    current_password = PasswordField(
        "Current password", validators=[InputRequired(), Length(max=1024)]
    )
    password = PasswordField("New password", validators=[InputRequired(), Length(max=1024)])
    confirm = PasswordField(
        "Repeat the new password",
        validators=[InputRequired(), EqualTo("password", message="The two passwords differ.")],
    )
