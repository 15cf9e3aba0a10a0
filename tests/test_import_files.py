"""The import attaches files (issue 15): a .zip holding the JSON or CSV file and the files its
rows name by relative path; the dry run names a missing or unsafe path by row and field, the
real run stores them in the attachment store (a lead image with its resized copies), and a
second run attaches nothing again; the page and `flask studies import FILE.zip` alike — on
SQLite and PostgreSQL."""

import csv
import io
import json
import zipfile

import pytest
import sqlalchemy as sa

from models import Attachment, CaseStudy, ImageRendition, LeadImage, Revision
from models.base import db
from review.infra import storage
from review.staff import imports
from tests.test_lead_image import MAKE, exif_of, photograph
from tests.test_library_real import study_row

PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


def bundle(rows, files: dict[str, bytes], name="site/studies.json") -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        if name.endswith(".json"):
            archive.writestr(name, json.dumps({"studies": rows}))
        else:
            archive.writestr(name, rows)
        folder = name.rsplit("/", 1)[0] + "/" if "/" in name else ""
        for path, data in files.items():
            archive.writestr(folder + path, data)
    return out.getvalue()


def with_files(n: int, **changes) -> dict:
    row = study_row(n)
    row["attachments"] = ["docs/ordinance.pdf"]
    row["lead_image"] = {
        "path": "photos/council.jpg",
        "alt_text": "The council votes",
        "caption": "Council chamber, 2013",
        "credit": "City of Takoma Park",
    }
    return row | changes


FILES = {"docs/ordinance.pdf": PDF, "photos/council.jpg": photograph()}


def run(data: bytes, staff, dry_run: bool, filename="site.zip"):
    rows, files = imports.read_upload(filename, data)
    report = imports.import_studies(rows, staff, source=filename, dry_run=dry_run, bundle=files)
    if dry_run:
        db.session.rollback()
    else:
        db.session.commit()
    return report


def problems(report) -> dict:
    return {(p.row, p.field): p.reason for p in report.problems}


def test_dry_run_names_missing_and_unsafe_paths_by_row_and_field(app, make_user):
    staff = make_user("staff")
    rows = [
        with_files(1),
        with_files(2, attachments=["../../etc/passwd"]),
        with_files(3, attachments=["/etc/passwd"]),
        with_files(4, attachments=["docs/missing.pdf"]),
        with_files(5, lead_image={"path": "photos/council.jpg", "alt_text": ""}),
        with_files(6, attachments=["docs/fake.pdf"]),
        with_files(7, lead_image={"path": "docs/ordinance.pdf", "alt_text": "A PDF"}),
        with_files(8, attachments=["docs/big.pdf"]),
    ]
    files = FILES | {"docs/fake.pdf": b"MZ not a pdf", "docs/big.pdf": PDF + b"0" * 5000}
    app.config["MAX_ATTACHMENT_BYTES"] = 4000
    files["photos/council.jpg"] = photograph(size=(20, 10))
    report = run(bundle(rows, files), staff, dry_run=True)
    found = problems(report)
    assert set(found) == {
        (2, "attachments[1]"),
        (3, "attachments[1]"),
        (4, "attachments[1]"),
        (5, "lead_image.alt_text"),
        (6, "attachments[1]"),
        (7, "lead_image.path"),
        (8, "attachments[1]"),
    }, found
    assert "“..”" in found[2, "attachments[1]"]
    assert "absolute" in found[3, "attachments[1]"]
    assert "not in the .zip" in found[4, "attachments[1]"]
    assert "not a PDF, DOCX, PNG or JPEG" in found[6, "attachments[1]"]
    assert "PNG or JPEG" in found[7, "lead_image.path"]
    assert "larger than" in found[8, "attachments[1]"]
    assert report.count("create") == 1
    assert "2 attached file(s)" in report.rows[0].creates
    assert db.session.scalar(sa.select(sa.func.count(Attachment.id))) == 0
    assert db.session.scalar(sa.select(sa.func.count(CaseStudy.id))) == 0


def test_real_run_stores_the_files_and_the_lead_image_then_attaches_nothing_again(
    app, client, make_user
):
    staff = make_user("staff")
    data = bundle([with_files(1), study_row(2)], FILES)
    report = run(data, staff, dry_run=False)
    assert report.count("create") == 2, report.problems
    study = db.session.scalar(sa.select(CaseStudy).where(CaseStudy.slug == "place-1-study-1"))
    files = {a.filename: a for a in study.attachments}
    assert set(files) == {"ordinance.pdf", "council.jpg"}
    assert files["ordinance.pdf"].content_type == "application/pdf"
    assert b"".join(storage.current().open(files["ordinance.pdf"].storage_key)) == PDF
    # The photograph lost its EXIF as any upload does, and has its two resized copies.
    photo = b"".join(storage.current().open(files["council.jpg"].storage_key))
    assert MAKE not in exif_of(photo)
    lead = db.session.scalar(sa.select(LeadImage).where(LeadImage.study_id == study.id))
    assert lead.attachment_id == files["council.jpg"].id
    assert (lead.alt_text, lead.caption, lead.credit) == (
        "The council votes",
        "Council chamber, 2013",
        "City of Takoma Park",
    )
    widths = db.session.scalars(
        sa.select(ImageRendition.max_width).where(
            ImageRendition.attachment_id == files["council.jpg"].id
        )
    )
    assert sorted(widths) == [480, 1200]
    page = client.get(f"/library/{study.slug}").get_data(as_text=True)
    assert 'alt="The council votes"' in page and "Council chamber, 2013" in page
    assert "ordinance.pdf" in page
    # Revision 1 holds the files it was imported with.
    first = db.session.scalar(sa.select(Revision).where(Revision.study_id == study.id))
    assert {a["filename"] for a in first.content["attachments"]} == set(files)
    assert first.content["lead_image"]["alt_text"] == "The council votes"

    again = run(data, staff, dry_run=False)
    assert again.count("exists") == 2 and again.count("create") == 0
    assert db.session.scalar(sa.select(sa.func.count(Attachment.id))) == 2
    assert db.session.scalar(sa.select(sa.func.count(ImageRendition.id))) == 2


def test_a_plain_json_file_cannot_attach_files(app, make_user):
    staff = make_user("staff")
    rows = imports.read_rows("site.json", json.dumps([with_files(1)]).encode())
    report = imports.import_studies(rows, staff, source="site.json", dry_run=True)
    db.session.rollback()
    assert "only in a .zip" in problems(report)[1, "attachments[1]"]


def test_a_zip_of_a_csv_through_the_page_and_the_command_line(
    app, client, make_user, login_as, tmp_path
):
    staff = make_user("staff")
    out = io.StringIO()
    fields = [
        "slug",
        "title",
        "pillar",
        "kind",
        "place",
        "state_code",
        "summary",
        "authors",
        "author_emails",
        "overview",
        "political_environment",
        "collaborative_governance",
        "outcomes",
        "timeline",
        "stakeholders",
        "attachments",
        "lead_image",
        "lead_image_alt_text",
        "lead_image_caption",
        "lead_image_credit",
    ]
    writer = csv.DictWriter(out, fieldnames=fields)
    writer.writeheader()
    for n in (1, 2):
        row = study_row(n)
        writer.writerow(
            {
                "slug": row["slug"],
                "title": row["title"],
                "pillar": row["pillar"],
                "kind": row["kind"],
                "place": row["place"],
                "state_code": row["state_code"],
                "summary": row["summary"],
                "authors": "Author",
                "author_emails": f"author{n}@example.org",
                **{
                    k: row["sections"][k]
                    for k in (
                        "overview",
                        "political_environment",
                        "collaborative_governance",
                        "outcomes",
                    )
                },
                "timeline": "2018-03 Campaign launched\n2019-06-14 Council vote",
                "stakeholders": "PB Coalition (community_organisation, ally): Led",
                "attachments": "docs/ordinance.pdf",
                "lead_image": "photos/council.jpg",
                "lead_image_alt_text": "The council votes",
                "lead_image_caption": "",
                "lead_image_credit": "",
            }
        )
    data = bundle(out.getvalue(), FILES, name="studies.csv")
    login_as(staff)
    checked = client.post(
        "/staff/import/",
        data={"file": (io.BytesIO(data), "site.zip"), "action": "check"},
        content_type="multipart/form-data",
    )
    assert checked.status_code == 200, checked.get_data(as_text=True)[:2000]
    assert "2 would be created" in checked.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count(Attachment.id))) == 0
    imported = client.post(
        "/staff/import/",
        data={"file": (io.BytesIO(data), "site.zip"), "action": "import"},
        content_type="multipart/form-data",
    )
    assert "2 created" in imported.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count(Attachment.id))) == 4
    assert db.session.scalar(sa.select(sa.func.count(LeadImage.study_id))) == 2

    # The command line reads the same .zip: everything is there already.
    path = str(tmp_path / "site.zip")
    with open(path, "wb") as handle:
        handle.write(data)
    result = app.test_cli_runner().invoke(args=["studies", "import", path, "--as", staff.email])
    assert result.exit_code == 0, result.output
    assert "0 created, 2 already there, 0 with errors." in result.output
    assert db.session.scalar(sa.select(sa.func.count(Attachment.id))) == 4


def test_a_zip_whose_studies_file_unpacks_too_large_is_refused(app, monkeypatch):
    from review.staff import import_files

    monkeypatch.setattr(import_files, "MAX_DATA_BYTES", 1000)
    data = bundle([study_row(n) for n in range(1, 20)], {})
    with pytest.raises(imports.ImportFileError, match="larger than"):
        imports.read_upload("site.zip", data)
    two = io.BytesIO()
    with zipfile.ZipFile(two, "w") as archive:
        archive.writestr("a.json", "[]")
        archive.writestr("b.csv", "title\n")
    with pytest.raises(imports.ImportFileError, match="one JSON or CSV file"):
        imports.read_upload("site.zip", two.getvalue())
