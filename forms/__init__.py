"""WTForms forms, one module per area; each form is named <Thing><Action>Form.

Importing this package makes every FlaskForm read only what its fields can hold: an uploaded
file reaches a file field only, and a JSON body gives text fields text only. Without this a
file posted where text belongs, or a JSON object, reaches a text field and breaks validation
with a 500 instead of a message naming the field. It also renders no field with the browser's
maxlength, so nothing typed or pasted is ever cut silently.
"""

from flask import request
from flask_wtf import FlaskForm
from flask_wtf.form import _Auto, _is_submitted
from werkzeug.datastructures import MultiDict
from wtforms.fields import FileField, MultipleFileField
from wtforms.meta import DefaultMeta


def _typed_formdata(meta, form, formdata):
    """Return the submitted data as Flask-WTF does, with files only for file fields."""
    if formdata is not _Auto:
        return formdata
    if not _is_submitted():
        return None
    if not (request.files or request.is_json):
        return request.form or None
    kept = MultiDict(request.form.items(multi=True))
    file_fields = {f.name for f in form if isinstance(f, FileField | MultipleFileField)}
    for name, upload in request.files.items(multi=True):
        if name in file_fields:
            kept.add(name, upload)
    json_data = request.get_json(silent=True) if request.is_json else None
    if isinstance(json_data, dict):
        for name, value in json_data.items():
            if isinstance(value, str | int | float) and not isinstance(value, bool):
                kept.add(str(name), str(value))
    return kept or None


FlaskForm.Meta.wrap_formdata = _typed_formdata


_render_field = DefaultMeta.render_field


def _render_without_maxlength(self, field, render_kw):
    """Render a field without the browser's maxlength, which cuts pasted text silently; the
    Length check on the server refuses the text with a message naming the field, and keeps it."""
    return _render_field(self, field, {"maxlength": False, **render_kw})


# DefaultMeta is the Meta of every form, FlaskForm's and the rows' (FormField) alike.
DefaultMeta.render_field = _render_without_maxlength
