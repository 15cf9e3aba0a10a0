"""A study's lead image (issue 15): a PNG or JPEG chosen as its picture, described, resized
with Pillow at upload, its EXIF gone, shown inline on the study page and the library card — on
SQLite and PostgreSQL."""

import io
from html import unescape

import sqlalchemy as sa
from PIL import Image

from models import Attachment, CaseStudy, ImageRendition, LeadImage
from models.base import db
from review.infra import storage
from review.infra.security import CSP
from tests.factories import complete_study
from tests.publishing import publish

MAKE, GPS_IFD = 0x010F, 0x8825


def photograph(size=(2000, 1000), kind="JPEG") -> bytes:
    """Return a photograph with the EXIF a phone writes: the camera and where it was taken."""
    picture = Image.new("RGB", size, (200, 80, 40))
    exif = Image.Exif()
    exif[MAKE] = "Test Camera Co"
    exif.get_ifd(GPS_IFD)[2] = (38.0, 58.0, 12.0)  # latitude
    out = io.BytesIO()
    picture.save(out, kind, exif=exif.tobytes())
    return out.getvalue()


def stored(key: str) -> bytes:
    return b"".join(storage.current().open(key))


def exif_of(data: bytes) -> dict:
    with Image.open(io.BytesIO(data)) as picture:
        return dict(picture.getexif()) | ({"raw": 1} if "exif" in picture.info else {})


def upload(client, study, data: bytes | None, name="council.jpg", **fields):
    form = {f"lead-{k}": v for k, v in fields.items()}
    if data is not None:
        form["lead-file"] = (io.BytesIO(data), name)
    return client.post(
        f"/studies/{study.id}/lead-image", data=form, content_type="multipart/form-data"
    )


def test_lead_image_resized_without_exif_and_shown_with_its_alt_text(
    app, client, make_user, login_as
):
    original = photograph()
    assert exif_of(original)[MAKE] == "Test Camera Co"
    author = make_user()
    study = complete_study(author, title="Right to counsel", place="Takoma Park")
    login_as(author)
    response = upload(
        client,
        study,
        original,
        alt_text="Tenants filling the council chamber",
        caption="The night of the vote",
        credit="Photo: Ana Ruiz",
    )
    assert response.status_code == 302 and response.location.endswith("#part-image")
    lead = db.session.scalar(sa.select(LeadImage))
    assert (lead.study_id, lead.alt_text) == (study.id, "Tenants filling the council chamber")
    attachment = db.session.get(Attachment, lead.attachment_id)
    assert attachment.content_type == "image/jpeg" and exif_of(stored(attachment.storage_key)) == {}
    renditions = db.session.scalars(
        sa.select(ImageRendition).order_by(ImageRendition.max_width)
    ).all()
    assert [(r.max_width, r.width, r.height) for r in renditions] == [
        (480, 480, 240),
        (1200, 1200, 600),
    ]
    for r in renditions:
        data = stored(r.storage_key)
        assert len(data) == r.size and exif_of(data) == {}
        with Image.open(io.BytesIO(data)) as picture:
            assert picture.format == "JPEG" and picture.size == (r.width, r.height)

    editor = client.get(f"/studies/{study.id}/edit").get_data(as_text=True)
    assert 'alt="Tenants filling the council chamber"' in editor
    preview = client.get(f"/studies/{study.id}/images/{attachment.id}/480")
    assert preview.status_code == 200 and preview.mimetype == "image/jpeg"

    publish(db.session.get(CaseStudy, study.id))
    slug = db.session.get(CaseStudy, study.id).slug
    client.post("/auth/logout")
    page = unescape(client.get(f"/library/{slug}").get_data(as_text=True))
    src = f"/library/{slug}/images/{attachment.id}/1200"
    assert f'<img src="{src}" alt="Tenants filling the council chamber"' in page
    assert 'width="1200" height="600"' in page
    assert "The night of the vote" in page and "Photo: Ana Ruiz" in page
    shown = client.get(src)
    assert shown.status_code == 200 and shown.headers["Content-Type"] == "image/jpeg"
    assert shown.headers["Content-Disposition"] == "inline"
    assert shown.headers["Content-Security-Policy"] == CSP and "img-src 'self'" in CSP
    assert shown.headers["X-Content-Type-Options"] == "nosniff"
    assert exif_of(shown.data) == {}
    card = unescape(client.get("/library").get_data(as_text=True))
    assert f'src="/library/{slug}/images/{attachment.id}/480"' in card
    assert 'alt="Tenants filling the council chamber"' in card
    # Only the lead image's own copies are served, and only of a published study.
    assert client.get(f"/library/{slug}/images/{attachment.id}/64").status_code == 404
    assert client.get(f"/library/{slug}/images/{attachment.id + 99}/480").status_code == 404


def test_alt_text_missing_names_the_field_and_loses_nothing(app, client, make_user, login_as):
    author = make_user()
    study = complete_study(author)
    login_as(author)
    response = upload(
        client,
        study,
        photograph(kind="PNG"),
        name="march.png",
        alt_text="  ",
        caption="Kept caption",
        credit="Kept credit",
    )
    html = unescape(response.get_data(as_text=True))
    assert response.status_code == 422
    assert "Alt text: Describe the picture for people who cannot see it." in html
    assert 'value="Kept caption"' in html and 'value="Kept credit"' in html
    assert db.session.scalar(sa.select(sa.func.count(LeadImage.study_id))) == 0
    # The picture itself was kept: it is attached, and offered (chosen) in the form.
    kept = db.session.scalar(sa.select(Attachment).where(Attachment.study_id == study.id))
    assert kept.filename == "march.png" and kept.content_type == "image/png"
    assert f'<option selected value="{kept.id}">march.png</option>' in html
    done = upload(client, study, None, attachment_id=str(kept.id), alt_text="A march")
    assert done.status_code == 302
    lead = db.session.scalar(sa.select(LeadImage))
    assert (lead.attachment_id, lead.alt_text, lead.caption) == (kept.id, "A march", "")


def test_a_file_that_is_no_picture_is_refused_as_the_lead_image(app, client, make_user, login_as):
    author = make_user()
    study = complete_study(author)
    login_as(author)
    fake = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
    response = upload(client, study, fake, name="chart.png", alt_text="A chart")
    assert response.status_code == 422
    assert "cannot be read as a picture" in unescape(response.get_data(as_text=True))
    assert db.session.scalar(sa.select(sa.func.count(LeadImage.study_id))) == 0
    long_alt = upload(client, study, photograph(), alt_text="x" * 301)
    assert long_alt.status_code == 422
    assert "Alt text: At most 300 characters" in long_alt.get_data(as_text=True)
    nothing = upload(client, study, None, alt_text="A picture")
    assert "Choose a picture to upload" in nothing.get_data(as_text=True)


def test_removing_the_file_removes_the_lead_image(app, client, make_user, login_as):
    author = make_user()
    study = complete_study(author)
    login_as(author)
    assert upload(client, study, photograph(), alt_text="A hearing").status_code == 302
    lead = db.session.scalar(sa.select(LeadImage))
    client.post(f"/studies/{study.id}/attachments/{lead.attachment_id}/delete")
    db.session.expire_all()
    assert db.session.scalar(sa.select(sa.func.count(LeadImage.study_id))) == 0
    assert db.session.get(CaseStudy, study.id).lead_image is None
