"""Sign-in and account-recovery forms."""

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
    email = EmailField("Email", validators=[InputRequired(), Length(max=254)])
    password = PasswordField("Password", validators=[InputRequired(), Length(max=1024)])
    remember = BooleanField("Keep me signed in on this device")
    # Filled by static/timezone.js with the browser's IANA zone; kept at the first sign-in.
    time_zone = HiddenField()


class PasswordResetRequestForm(FlaskForm):
    email = EmailField("Email", validators=[InputRequired(), Email(), Length(max=254)])


class PasswordSetForm(FlaskForm):
    password = PasswordField("New password", validators=[InputRequired(), Length(max=1024)])
    confirm = PasswordField(
        "Repeat the new password",
        validators=[InputRequired(), EqualTo("password", message="The two passwords differ.")],
    )


class InvitationAcceptForm(PasswordSetForm):
    name = StringField("Your name", validators=[InputRequired(), Length(max=120)])
    time_zone = HiddenField()


STATE_CHOICES = [("", "—")] + [(code, name) for code, name in US_STATES.items()]


class AccessRequestForm(FlaskForm):
    name = StringField("Your name", validators=[InputRequired(), Length(max=120)])
    email = EmailField("Email", validators=[InputRequired(), Email(), Length(max=254)])
    kind = SelectField(
        "I am",
        choices=[
            ("member", "A local elected official"),
            ("partner", "A labor, policy or community partner"),
        ],
    )
    office = StringField("Office (if elected)", validators=[Optional(), Length(max=160)])
    jurisdiction = StringField(
        "Jurisdiction or organisation", validators=[Optional(), Length(max=160)]
    )
    us_state = SelectField("State", choices=STATE_CHOICES, validators=[Optional()])
    message = TextAreaField("Anything staff should know", validators=[Optional(), Length(max=2000)])
