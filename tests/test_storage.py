"""The attachment store: the database store in full (chunks, streaming, the migration that
moves files in), S3 through boto3 against moto's S3 server on loopback, and the folder store."""

import hashlib
import os
import uuid

import psycopg
import pytest
import sqlalchemy as sa
from flask_migrate import upgrade

from models import Attachment, Notification, StoredChunk, StoredFile
from models.base import db
from review.app import create_app
from review.infra import storage
from tests.conftest import PASSWORD, PG_ADMIN_URL, app_config, free_port
from tests.factories import complete_study
from tests.test_attachments import upload

TEN_MB = 10 * 1024 * 1024


def big_pdf(size: int = TEN_MB) -> bytes:
    return b"%PDF-1.4\n" + os.urandom(size - 9)


def test_a_10_mb_file_is_kept_in_chunks_and_streamed_one_at_a_time(
    app, client, make_user, login_as
):
    author = make_user()
    study = complete_study(author)
    login_as(author)
    content = big_pdf()
    assert upload(client, study, content, "big.pdf").status_code == 302
    row = db.session.scalar(sa.select(Attachment).where(Attachment.study_id == study.id))
    stored = db.session.get(StoredFile, row.storage_key)
    assert stored.size == TEN_MB and stored.chunks == TEN_MB // storage.CHUNK
    assert (
        db.session.scalar(
            sa.select(sa.func.count()).select_from(StoredChunk).where(StoredChunk.key == stored.key)
        )
        == stored.chunks
    )

    response = client.get(f"/studies/{study.id}/attachments/{row.id}", buffered=False)
    assert response.status_code == 200 and response.is_streamed
    assert response.headers["Content-Length"] == str(TEN_MB)
    digest, largest = hashlib.sha256(), 0
    for chunk in response.response:
        digest.update(chunk)
        largest = max(largest, len(chunk))
    response.close()
    assert digest.hexdigest() == hashlib.sha256(content).hexdigest() == row.sha256
    assert largest == storage.CHUNK
    # A download cut off after one chunk leaves the database usable.
    cut = client.get(f"/studies/{study.id}/attachments/{row.id}", buffered=False)
    next(iter(cut.response))
    cut.close()
    assert client.get(f"/studies/{study.id}/attachments/{row.id}").data == content


def test_a_refused_upload_stores_nothing(app, client, make_user, login_as):
    author = make_user()
    study = complete_study(author)
    login_as(author)
    upload(client, study, b"not a pdf at all", "x.pdf")
    upload(client, study, big_pdf(TEN_MB + 1), "huge.pdf")
    assert db.session.scalar(sa.select(sa.func.count()).select_from(StoredFile)) == 0


def test_a_missing_file_is_a_404(app, client, make_user):
    author = make_user()
    study = complete_study(author)
    row = Attachment(
        study_id=study.id,
        filename="gone.pdf",
        content_type="application/pdf",
        size=5,
        sha256="0" * 64,
        storage_key="ab" + uuid.uuid4().hex,
        uploaded_by_id=author.id,
    )
    db.session.add(row)
    db.session.commit()
    assert app.test_client().get(f"/studies/{study.id}/attachments/{row.id}").status_code == 404


def _folder_with_files(folder) -> dict[str, bytes]:
    files = {}
    for n in range(3):
        key = uuid.uuid4().hex + f"{n:02d}"
        content = os.urandom(storage.CHUNK * n + 1000)  # 1, 2 and 3 chunks
        (folder / key[:2]).mkdir(parents=True, exist_ok=True)
        (folder / key[:2] / key).write_bytes(content)
        files[key] = content
    (folder / "ab").mkdir(exist_ok=True)
    (folder / "ab" / "abhalf.part").write_bytes(b"an upload cut off")
    return files


def _read(store, key) -> bytes:
    return b"".join(store.open(key))


@pytest.fixture(params=["sqlite", "postgresql"])
def fresh_db_url(request, tmp_path):
    """An empty database of this test's own (the shared ones are migrated already)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'fresh.db'}"
        return
    name = f"rr_fresh_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    yield PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_the_upgrade_moves_every_file_under_upload_folder_into_the_database(
    fresh_db_url, smtp, tmp_path
):
    folder = tmp_path / "uploads"
    files = _folder_with_files(folder)
    app = create_app(app_config(fresh_db_url, smtp.port, UPLOAD_FOLDER=str(folder)))
    with app.app_context():
        upgrade(revision="0002")
        upgrade()
        store = storage.current()
        assert {key: _read(store, key) for key in files} == files
        assert not store.has("abhalf")
        assert db.session.scalar(sa.select(sa.func.count()).select_from(StoredFile)) == 3
        assert all(path.exists() for path in folder.glob("??/*"))  # the originals stay
        # Importing again (what an operator runs for S3) copies nothing twice.
        result = app.test_cli_runner().invoke(args=["attachments", "import"])
        assert "Copied 0 files into the database store (3 already there)" in result.output
        db.session.remove()
        db.engine.dispose()


@pytest.fixture(scope="session")
def s3_server():
    """moto's S3 server: a real S3 HTTP API on loopback (no S3 service is reachable here)."""
    from moto.server import ThreadedMotoServer

    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    yield f"http://127.0.0.1:{port}"
    server.stop()


def test_s3_store_uploads_downloads_imports_and_checks(app_factory, make_user, s3_server, tmp_path):
    bucket = f"reimagine-{uuid.uuid4().hex[:8]}"
    settings = {
        "S3_BUCKET": bucket,
        "S3_ENDPOINT_URL": s3_server,
        "S3_REGION": "us-east-1",
        "S3_ACCESS_KEY_ID": "testing",
        "S3_SECRET_ACCESS_KEY": "testing",
        "S3_PREFIX": "files/",
    }
    app = app_factory(**settings)
    assert app.config["ATTACHMENT_STORE"] == "s3"
    store = app.extensions["attachment_store"]
    store.client.create_bucket(Bucket=bucket)
    with app.app_context():
        author = make_user()
        study = complete_study(author)
        client = app.test_client()
        client.post("/auth/login", data={"email": author.email, "password": PASSWORD})
        content = big_pdf(storage.CHUNK * 3 + 5)
        assert upload(client, study, content, "plan.pdf").status_code == 302
        row = db.session.scalar(sa.select(Attachment).where(Attachment.study_id == study.id))
        listed = store.client.list_objects_v2(Bucket=bucket)["Contents"]
        assert [o["Key"] for o in listed] == ["files/" + row.storage_key]
        response = client.get(f"/studies/{study.id}/attachments/{row.id}")
        assert response.status_code == 200 and response.data == content
        assert store.open("no-such-key") is None and not store.has("no-such-key")

        folder = tmp_path / "uploads"
        files = _folder_with_files(folder)
        runner = app.test_cli_runner()
        result = runner.invoke(args=["attachments", "import", str(folder)])
        assert "Copied 3 files into the s3 store (0 already there)" in result.output
        assert {key: _read(store, key) for key in files} == files
        result = runner.invoke(args=["attachments", "check"])
        assert result.exit_code == 0 and "1 of 1 files are in the s3 store" in result.output


def test_folder_store_serves_from_this_machine(app_factory, make_user):
    app = app_factory(ATTACHMENT_STORE="folder")
    with app.app_context():
        author = make_user()
        study = complete_study(author)
        client = app.test_client()
        client.post("/auth/login", data={"email": author.email, "password": PASSWORD})
        assert upload(client, study, b"%PDF-1.4 small", "a.pdf").status_code == 302
        row = db.session.scalar(sa.select(Attachment).where(Attachment.study_id == study.id))
        assert storage.current().path(row.storage_key).read_bytes() == b"%PDF-1.4 small"
        assert client.get(f"/studies/{study.id}/attachments/{row.id}").data == b"%PDF-1.4 small"


def test_demo_addresses_are_never_handed_to_smtp(app_factory, make_user, smtp):
    app = app_factory(MAIL_WITHHELD_DOMAINS=("example.org",))
    with app.app_context():
        demo_person = make_user(email="member1@example.org")
        real_person = make_user(email="someone@example.net")
        client = app.test_client()
        for person in (demo_person, real_person):
            assert client.post("/auth/reset", data={"email": person.email}).status_code == 302
        rows = {r.email: r for r in db.session.scalars(sa.select(Notification))}
        assert rows[demo_person.email].transport == "store"
        assert rows[demo_person.email].body_text  # rendered and kept for staff to read
        assert rows[real_person.email].transport == "smtp"
        assert len(smtp.wait_for(1)) == 1 and smtp.to(real_person.email)
        assert not smtp.to(demo_person.email)  # its row was settled before the other was sent
