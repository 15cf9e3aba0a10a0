"""The picture a study opens with, chosen in the editor."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import SelectField, StringField
from wtforms.validators import InputRequired, Length


class LeadImageForm(FlaskForm):
    """The picture a study opens with: a new PNG or JPEG, or one already attached."""

    file = FileField(_l("Picture (PNG or JPEG)"))
    attachment_id = SelectField(_l("Or a picture already attached"), coerce=int, choices=[])
    alt_text = StringField(
        _l("Alt text"),
        validators=[
            InputRequired(_l("Describe the picture for people who cannot see it.")),
            Length(max=300, message=_l("At most 300 characters, please.")),
        ],
    )
    caption = StringField(
        _l("Caption"),
        validators=[Length(max=500, message=_l("At most 500 characters, please."))],
    )
    credit = StringField(
        _l("Credit"),
        validators=[Length(max=200, message=_l("At most 200 characters, please."))],
    )

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("prefix", "lead")  # its file field beside the upload form's
        super().__init__(*args, **kwargs)

    def offer(self, study) -> "LeadImageForm":
        """Offer the study's PNG and JPEG attachments to choose from; return the form."""
        pictures = [a for a in study.attachments if a.content_type in ("image/png", "image/jpeg")]
        self.attachment_id.choices = [(0, "—")] + [(a.id, a.filename) for a in pictures]
        return self

    @classmethod
    def for_study(cls, study) -> "LeadImageForm":
        """Return the form as the study's lead image is now (empty when it has none)."""
        lead = study.lead_image
        data = {"attachment_id": lead.attachment_id if lead is not None else 0}
        if lead is not None:
            data |= {"alt_text": lead.alt_text, "caption": lead.caption, "credit": lead.credit}
        return cls(formdata=None, data=data).offer(study)
