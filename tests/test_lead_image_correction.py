"""Staff set a published study's lead image on its correction page (issue 15): one of its PNG
or JPEG files, alt text required, caption and credit; a correction like any other (a new
revision, an audit event, "last updated"); refused for anyone but staff — on SQLite and
PostgreSQL."""

import io
from html import unescape

import sqlalchemy as sa
from werkzeug.datastructures import FileStorage

from models import AuditEvent, ImageRendition, LeadImage, Revision
from models.base import db
from review import attachments
from tests.factories import complete_study
from tests.publishing import publish
from tests.test_import_files import PDF
from tests.test_lead_image import photograph


def attach(study, author, data: bytes, name: str):
    added = attachments.add_attachment(study, FileStorage(io.BytesIO(data), filename=name), author)
    db.session.commit()
    return added


def choose(client, slug: str, **fields):
    return client.post(
        f"/library/{slug}/lead-image", data={f"lead-{k}": v for k, v in fields.items()}
    )


def test_staff_choose_the_lead_image_of_a_published_study(app, client, make_user, login_as):
    author = make_user()
    study = complete_study(author, title="Youth voting", place="Takoma Park")
    photo = attach(study, author, photograph(), "council.jpg")
    pdf = attach(study, author, PDF, "ordinance.pdf")
    publish(study)
    slug, study_id, photo_id, pdf_id = study.slug, study.id, photo.id, pdf.id
    revisions = db.session.scalar(
        sa.select(sa.func.count(Revision.id)).where(Revision.study_id == study_id)
    )

    # Anyone but staff: refused, nothing chosen.
    login_as(author)
    assert choose(client, slug, attachment_id=photo_id, alt_text="x").status_code == 403
    client.post("/auth/logout")
    login_as(make_user("staff"))
    response = client.get(f"/library/{slug}/correct")
    page = unescape(response.get_data(as_text=True))
    assert response.status_code == 200, page[-3000:]
    assert 'id="lead-image"' in page and "council.jpg" in page
    assert "ordinance.pdf" not in page.split('id="lead-image"')[1].split("</form>")[0]

    # The alt text is required: named, and what was typed comes back.
    refused = choose(client, slug, attachment_id=photo_id, alt_text="", caption="Kept caption")
    assert refused.status_code == 422
    html = unescape(refused.get_data(as_text=True))
    assert "Describe the picture for people who cannot see it." in html
    assert 'value="Kept caption"' in html
    # A PDF is not among the choices.
    assert choose(client, slug, attachment_id=pdf_id, alt_text="A PDF").status_code == 422
    assert db.session.scalar(sa.select(sa.func.count(LeadImage.study_id))) == 0

    done = choose(
        client,
        slug,
        attachment_id=photo_id,
        alt_text="The council votes",
        caption="Council chamber",
        credit="City of Takoma Park",
    )
    assert done.status_code == 302
    db.session.expire_all()
    lead = db.session.scalar(sa.select(LeadImage).where(LeadImage.study_id == study_id))
    assert (lead.attachment_id, lead.alt_text, lead.caption, lead.credit) == (
        photo_id,
        "The council votes",
        "Council chamber",
        "City of Takoma Park",
    )
    widths = db.session.scalars(
        sa.select(ImageRendition.max_width).where(ImageRendition.attachment_id == photo_id)
    )
    assert sorted(widths) == [480, 1200]
    assert (
        db.session.scalar(
            sa.select(sa.func.count(Revision.id)).where(Revision.study_id == study_id)
        )
        == revisions + 1
    )
    event = db.session.scalar(
        sa.select(AuditEvent).where(
            AuditEvent.study_id == study_id, AuditEvent.event == "lead_image_set"
        )
    )
    assert event is not None and "council.jpg" in event.comment
    public = unescape(client.get(f"/library/{slug}").get_data(as_text=True))
    assert 'alt="The council votes"' in public and "Council chamber" in public
    assert "Last updated" in public
    card = unescape(client.get("/library").get_data(as_text=True))
    assert f"/library/{slug}/images/{photo_id}/480" in card
