"""Nothing is cut silently: every field of the editor and of the review form, one character
over its maximum, gives an error naming the field and keeps every character typed."""

from wtforms.fields import FieldList
from wtforms.validators import Length

from forms.cochair import ReviewForm
from forms.studies import TOPIC_MAX, StudyEditForm
from models.base import db
from models.enums import UserKind
from review import workflow
from tests.factories import complete_study
from tests.sweep import sign_in


def _limited(form_class, app):
    """Yield (posted name, label, max) for every field with a maximum length, rows included."""
    with app.test_request_context():
        form = form_class(formdata=None)
        for field in form:
            if isinstance(field, FieldList):
                field.append_entry()
                for sub in field[0].form:
                    limits = [v.max for v in sub.validators if isinstance(v, Length)]
                    if limits and limits[0] > 0:
                        yield f"{field.name}-0-{sub.short_name}", sub.label.text, limits[0]
                continue
            limits = [v.max for v in field.validators if isinstance(v, Length)]
            if limits and limits[0] > 0:
                yield field.name, field.label.text, limits[0]


def _too_long(name: str, maximum: int) -> str:
    text = "w" * (maximum + 1)
    return "https://example.org/" + text[20:] if name.endswith("-url") else text


def test_every_editor_field_one_over_is_refused_by_name_and_kept(app, make_user):
    author = make_user(UserKind.member)
    study = complete_study(author)
    client = sign_in(app, author)
    fields = list(_limited(StudyEditForm, app))
    assert len(fields) >= 15
    for name, label, maximum in fields + [("topics", "Topics", TOPIC_MAX)]:
        typed = _too_long(name, maximum)
        data = {
            "version": str(study.version),
            "title": study.title,
            "pillar_id": str(study.pillar_id),
            "action": "save",
            name: typed,
        }
        if name.startswith("timeline-0-") and name != "timeline-0-date":
            data["timeline-0-date"] = "2020"
        if name.startswith("timeline-0-date"):
            data["timeline-0-description"] = "An event"
        response = client.post(f"/studies/{study.id}/edit", data=data)
        page = response.get_data(as_text=True)
        assert response.status_code == 422, (name, response.status_code)
        assert typed in page, f"{name}: the text was not kept"
        assert f"{label}" in page and "error-summary" in page, name
        assert f'maxlength="{maximum}"' not in page, f"{name}: the browser would cut it"


def test_every_review_field_one_over_is_refused_by_name_and_kept(app, make_user, pillar):
    chair = make_user(UserKind.member, cochair_of=pillar)
    author = make_user(UserKind.member)
    study = complete_study(author, pillar)
    workflow.apply(study, "submit", author)
    db.session.commit()
    client = sign_in(app, chair)
    # The reason is staff's alone (reviewing in place of the co-chairs): not on a co-chair's form.
    fields = [f for f in _limited(ReviewForm, app) if f[0] != "reason"]
    assert len(fields) >= 2
    for name, label, maximum in fields:
        typed = _too_long(name, maximum)
        data = {
            "version": str(study.version),
            "recommendation": "approve",
            "action": "save",
            "items-0-section": "outcomes",
            name: typed,
        }
        response = client.post(f"/cochair/studies/{study.id}", data=data)
        page = response.get_data(as_text=True)
        assert response.status_code == 422, (name, response.status_code)
        assert typed in page and str(label) in page, name
