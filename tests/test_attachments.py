"""Attachments: checked by content, limited in size and number, downloaded only by readers."""

import io
import zipfile

import pytest
import sqlalchemy as sa

from models import Attachment
from models.base import db
from models.enums import StudyState
from tests.factories import complete_study

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 32


def docx(with_document: bool = True) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        if with_document:
            archive.writestr("word/document.xml", "<w:document/>")
    return buffer.getvalue()


def upload(client, study, content: bytes, name: str):
    return client.post(
        f"/studies/{study.id}/attachments",
        data={"file": (io.BytesIO(content), name)},
        content_type="multipart/form-data",
    )


def flashed(client, study) -> str:
    return client.get(f"/studies/{study.id}/edit").get_data(as_text=True)


@pytest.mark.parametrize(
    "content, name, content_type",
    [
        (PDF, "report.pdf", "application/pdf"),
        (PNG, "chart.png", "image/png"),
        (JPEG, "photo.JPG", "image/jpeg"),
        (
            docx(),
            "notes.docx",
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        ),
    ],
)
def test_accepted_kinds_upload_and_download(
    app, client, make_user, login_as, content, name, content_type
):
    author = make_user()
    study = complete_study(author)
    login_as(author)
    response = upload(client, study, content, name)
    assert response.status_code == 302 and response.headers["Location"].endswith("#part-files")
    row = db.session.scalar(sa.select(Attachment))
    assert (row.filename, row.content_type, row.size) == (name, content_type, len(content))
    assert "/" not in row.storage_key and name not in row.storage_key
    response = client.get(f"/studies/{study.id}/attachments/{row.id}")
    assert response.status_code == 200 and response.data == content
    assert response.headers["Content-Disposition"].startswith("attachment")
    assert response.headers["Content-Type"].startswith(content_type)
    assert name in flashed(client, study)


@pytest.mark.parametrize(
    "content, name, message",
    [
        (PDF, "renamed.png", "it is a PDF file"),
        (PNG, "chart.pdf", "it is a PNG file"),
        (b"MZ\x90\x00 an exe", "virus.pdf", "is not a PDF, DOCX, PNG or JPEG file"),
        (b"<svg onload=alert(1)>", "image.png", "is not a PDF, DOCX, PNG or JPEG file"),
        (docx(with_document=False), "empty.docx", "is not a PDF, DOCX, PNG or JPEG file"),
        (b"PK\x03\x04 not really a zip", "broken.docx", "is not a PDF, DOCX, PNG or JPEG"),
        (b"", "nothing.pdf", "is empty"),
    ],
)
def test_refused_by_content(app, client, make_user, login_as, content, name, message):
    author = make_user()
    study = complete_study(author)
    login_as(author)
    response = upload(client, study, content, name)
    assert response.status_code == 302
    assert message in flashed(client, study)
    assert db.session.scalar(sa.select(sa.func.count(Attachment.id))) == 0


def test_ten_megabytes_and_one_byte_is_a_clear_error(app, client, make_user, login_as):
    author = make_user()
    study = complete_study(author)
    login_as(author)
    limit = app.config["MAX_ATTACHMENT_BYTES"]
    assert limit == 10 * 1024 * 1024
    response = upload(client, study, PDF + b"0" * (limit + 1 - len(PDF)), "big.pdf")
    assert response.status_code == 302
    assert "“big.pdf” is larger than 10 MB" in flashed(client, study)
    assert db.session.scalar(sa.select(sa.func.count(Attachment.id))) == 0
    response = upload(client, study, PDF + b"0" * (limit - len(PDF)), "exactly.pdf")
    assert response.status_code == 302
    assert db.session.scalar(sa.select(Attachment.size)) == limit
    # Beyond the request limit the server answers 413 with a page, not a 500.
    huge = upload(client, study, b"%PDF-" + b"0" * app.config["MAX_CONTENT_LENGTH"], "huge.pdf")
    assert huge.status_code == 413


def test_at_most_ten_files(app, client, make_user, login_as):
    author = make_user()
    study = complete_study(author)
    login_as(author)
    for i in range(10):
        assert upload(client, study, PDF, f"f{i}.pdf").status_code == 302
    upload(client, study, PDF, "eleventh.pdf")
    assert "at most 10 files" in flashed(client, study)
    assert db.session.scalar(sa.select(sa.func.count(Attachment.id))) == 10


def test_download_is_for_those_who_may_see_the_study(app, client, make_user, login_as, pillar):
    author = make_user()
    coauthor = make_user("partner")
    study = complete_study(author, coauthors=[coauthor])
    login_as(author)
    upload(client, study, PDF, "report.pdf")
    row = db.session.scalar(sa.select(Attachment))
    url = f"/studies/{study.id}/attachments/{row.id}"
    client.post("/auth/logout")
    assert client.get(url).status_code == 404  # visitor: no hint that it exists
    for person, status in (
        (make_user(), 404),
        (make_user("partner"), 404),
        (make_user(cochair_of=pillar), 404),  # a draft is not shown to the co-chairs
        (coauthor, 200),
        (make_user("staff"), 200),
    ):
        login_as(person)
        assert client.get(url).status_code == status, person
        client.post("/auth/logout")
    assert client.get(f"/studies/{study.id}/attachments/{row.id + 1}").status_code == 404
    other = complete_study(make_user())
    login_as(author)
    assert client.get(f"/studies/{other.id}/attachments/{row.id}").status_code == 404


def test_remove_a_file_and_no_upload_when_not_editable(app, client, make_user, login_as):
    author = make_user()
    study = complete_study(author)
    login_as(author)
    upload(client, study, PDF, "report.pdf")
    row = db.session.scalar(sa.select(Attachment))
    response = client.post(f"/studies/{study.id}/attachments/{row.id}/delete")
    assert response.status_code == 302
    assert db.session.scalar(sa.select(sa.func.count(Attachment.id))) == 0
    submitted = complete_study(author, state=StudyState.submitted)
    assert upload(client, submitted, PDF, "late.pdf").status_code == 403


def test_every_reader_page_of_a_study_with_files_answers(app, client, make_user, login_as, pillar):
    """The co-chair review page, the study page and the editor all list the files (no 500)."""
    from review import workflow

    author = make_user()
    chair = make_user("member", cochair_of=pillar)
    study = complete_study(author, pillar)
    login_as(author)
    assert upload(client, study, PDF, "report.pdf").status_code == 302
    assert "report.pdf" in client.get(f"/studies/{study.id}/edit").text
    workflow.apply(study, "submit", author)
    db.session.commit()
    assert "report.pdf" in client.get(f"/studies/{study.id}").text
    client.post("/auth/logout")
    login_as(chair)
    page = client.get(f"/cochair/studies/{study.id}")
    assert page.status_code == 200 and "report.pdf" in page.text
