"""Sign-in and account-recovery forms."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    EmailField,
    HiddenField,
    PasswordField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import Email, EqualTo, InputRequired, Length, Optional

from models.enums import US_STATES


class LoginForm(FlaskForm):
    email = EmailField(_l("Email"), validators=[InputRequired(), Length(max=254)])
    password = PasswordField(_l("Password"), validators=[InputRequired(), Length(max=1024)])
    remember = BooleanField(_l("Keep me signed in on this device"))
    # Filled by static/timezone.js with the browser's IANA zone; kept at the first sign-in.
    time_zone = HiddenField()


class PasswordResetRequestForm(FlaskForm):
    email = EmailField(_l("Email"), validators=[InputRequired(), Email(), Length(max=254)])


class PasswordSetForm(FlaskForm):
    password = PasswordField(_l("New password"), validators=[InputRequired(), Length(max=1024)])
    confirm = PasswordField(
        _l("Repeat the new password"),
        validators=[InputRequired(), EqualTo("password", message=_l("The two passwords differ."))],
    )


class InvitationAcceptForm(PasswordSetForm):
    name = StringField(_l("Your name"), validators=[InputRequired(), Length(max=120)])
    time_zone = HiddenField()


STATE_CHOICES = [("", "—")] + [(code, name) for code, name in US_STATES.items()]


class AccessRequestForm(FlaskForm):
    name = StringField(_l("Your name"), validators=[InputRequired(), Length(max=120)])
    email = EmailField(_l("Email"), validators=[InputRequired(), Email(), Length(max=254)])
    kind = SelectField(
        _l("I am"),
        choices=[
            ("member", _l("A local elected official")),
            ("partner", _l("A labor, policy or community partner")),
        ],
    )
    office = StringField(_l("Office (if elected)"), validators=[Optional(), Length(max=160)])
    jurisdiction = StringField(
        _l("Jurisdiction or organisation"), validators=[Optional(), Length(max=160)]
    )
    us_state = SelectField(_l("State"), choices=STATE_CHOICES, validators=[Optional()])
    message = TextAreaField(
        _l("Anything staff should know"), validators=[Optional(), Length(max=2000)]
    )
