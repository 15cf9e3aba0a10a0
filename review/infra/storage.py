"""Where attachment bytes live: one small interface, three stores.

- DatabaseStore (the default): chunks in the `stored_chunk` table, so every web machine that
  shares the database serves every file, with no extra service. Saving writes in the caller's
  transaction; a download reads one chunk at a time on a connection of its own.
- S3Store (when S3_BUCKET is set): S3-compatible object storage through boto3.
- FolderStore: files under UPLOAD_FOLDER on this machine only (one machine, or benchmarks).

Bytes are never deleted: a frozen revision may still name a file by its key.
"""

from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import BinaryIO, Protocol

import sqlalchemy as sa
from flask import Flask, current_app, has_request_context, request
from werkzeug.wsgi import wrap_file

from models.base import db
from models.clock import utcnow
from models.stored_file import StoredChunk, StoredFile

CHUNK = 256 * 1024


class Store(Protocol):
    name: str

    def save(self, key: str, source: BinaryIO) -> int:
        """Store what `source` yields under a new `key`, reading it in chunks; return its size."""

    def has(self, key: str) -> bool:
        """Return whether bytes are stored under `key`."""

    def open(self, key: str) -> Iterable[bytes] | None:
        """Return the bytes under `key` as an iterable of chunks (None when there are none)."""


class DatabaseStore:
    name = "database"

    def save(self, key: str, source: BinaryIO) -> int:
        db.session.add(StoredFile(key=key, size=0, chunks=0, created_at=utcnow()))
        db.session.flush()
        size = seq = 0
        while chunk := source.read(CHUNK):
            db.session.execute(sa.insert(StoredChunk).values(key=key, seq=seq, data=chunk))
            size += len(chunk)
            seq += 1
        db.session.execute(
            sa.update(StoredFile).where(StoredFile.key == key).values(size=size, chunks=seq)
        )
        return size

    def has(self, key: str) -> bool:
        return db.session.get(StoredFile, key) is not None

    def open(self, key: str) -> Iterator[bytes] | None:
        count = db.session.scalar(sa.select(StoredFile.chunks).where(StoredFile.key == key))
        if count is None:
            return None
        return _read_chunks(db.engine, key, count)


def _read_chunks(engine: sa.Engine, key: str, count: int) -> Iterator[bytes]:
    """Yield the chunks in order, never holding more than one of them."""
    if engine.dialect.name == "postgresql":
        yield from _stream_postgresql(engine, key)
        return
    query = sa.select(StoredChunk.data).where(
        StoredChunk.key == key, StoredChunk.seq == sa.bindparam("seq")
    )
    with engine.connect() as conn:
        for seq in range(count):
            yield conn.execute(query, {"seq": seq}).scalar_one()


def _stream_postgresql(engine: sa.Engine, key: str) -> Iterator[bytes]:
    # One query whose rows the server sends one after another (libpq's single-row mode, in
    # binary): no round trip a chunk, and TCP holds back the rows not yet read.
    raw = engine.raw_connection()
    finished = False
    try:
        cursor = raw.driver_connection.cursor(binary=True)
        sql = "SELECT data FROM stored_chunk WHERE key = %s ORDER BY seq"
        for (data,) in cursor.stream(sql, (key,)):
            yield data
        finished = True
    finally:
        # A download cut off mid-stream leaves the connection busy: close it, never reuse it.
        if finished:
            raw.close()
        else:
            raw.invalidate()


class FolderStore:
    name = "folder"

    def __init__(self, folder: str):
        self.folder = Path(folder)

    def path(self, key: str) -> Path:
        return self.folder / key[:2] / key

    def save(self, key: str, source: BinaryIO) -> int:
        target = self.path(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_suffix(".part")
        size = 0
        try:
            with open(partial, "wb") as out:
                while chunk := source.read(CHUNK):
                    out.write(chunk)
                    size += len(chunk)
            partial.replace(target)
        finally:
            partial.unlink(missing_ok=True)
        return size

    def has(self, key: str) -> bool:
        return self.path(key).is_file()

    def open(self, key: str) -> Iterable[bytes] | None:
        path = self.path(key)
        if not path.is_file():
            return None
        handle = open(path, "rb")  # noqa: SIM115 - closed by the server or the wrapper
        if has_request_context():
            # The server's own file wrapper: gunicorn hands it to sendfile().
            return wrap_file(request.environ, handle, CHUNK)
        return _read_file(handle)


def _read_file(handle: BinaryIO) -> Iterator[bytes]:
    with handle:
        while chunk := handle.read(CHUNK):
            yield chunk


class S3Store:
    name = "s3"

    def __init__(self, client, bucket: str, prefix: str = ""):
        self.client = client
        self.bucket = bucket
        self.prefix = prefix

    def save(self, key: str, source: BinaryIO) -> int:
        counted = _Counting(source)
        # upload_fileobj reads in parts (multipart beyond 8 MB), never the whole file at once.
        self.client.upload_fileobj(counted, self.bucket, self.prefix + key)
        return counted.size

    def has(self, key: str) -> bool:
        from botocore.exceptions import ClientError

        try:
            self.client.head_object(Bucket=self.bucket, Key=self.prefix + key)
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                return False
            raise
        return True

    def open(self, key: str) -> Iterator[bytes] | None:
        try:
            obj = self.client.get_object(Bucket=self.bucket, Key=self.prefix + key)
        except self.client.exceptions.NoSuchKey:
            return None
        return obj["Body"].iter_chunks(CHUNK)


class _Counting:
    """A read-only file that counts the bytes read through it."""

    def __init__(self, source: BinaryIO):
        self.source = source
        self.size = 0

    def read(self, n: int = -1) -> bytes:
        data = self.source.read(n)
        self.size += len(data)
        return data


def s3_client(config: dict):
    """Return a boto3 S3 client for the S3_* settings (credentials from boto3's chain if unset)."""
    import boto3

    return boto3.client(
        "s3",
        endpoint_url=config.get("S3_ENDPOINT_URL"),
        region_name=config.get("S3_REGION"),
        aws_access_key_id=config.get("S3_ACCESS_KEY_ID"),
        aws_secret_access_key=config.get("S3_SECRET_ACCESS_KEY"),
    )


def init_app(app: Flask) -> None:
    kind = app.config["ATTACHMENT_STORE"]
    if kind == "s3":
        store = S3Store(s3_client(app.config), app.config["S3_BUCKET"], app.config["S3_PREFIX"])
    elif kind == "folder":
        store = FolderStore(app.config["UPLOAD_FOLDER"])
    else:
        store = DatabaseStore()
    app.extensions["attachment_store"] = store


def current() -> Store:
    """Return the store of the current app."""
    return current_app.extensions["attachment_store"]


def read_all(key: str) -> bytes | None:
    """Return the whole of a (small) stored file, seeing what this transaction wrote: the
    database store reads it through the session, not on a connection of its own."""
    store = current()
    if isinstance(store, DatabaseStore):
        if not store.has(key):
            return None
        chunks = db.session.scalars(
            sa.select(StoredChunk.data).where(StoredChunk.key == key).order_by(StoredChunk.seq)
        )
        return b"".join(chunks)
    body = store.open(key)
    return None if body is None else b"".join(body)


def copy_folder(folder: str, store: Store) -> tuple[int, int]:
    """Copy every file under `folder` (as FolderStore lays them out) into `store`, skipping
    keys it already has; return (copied, already there). Flush only; the caller commits."""
    source = FolderStore(folder)
    copied = present = 0
    for path in sorted(source.folder.glob("??/*")):
        key = path.name
        if not path.is_file() or path.suffix == ".part" or path.parent.name != key[:2]:
            continue
        if store.has(key):
            present += 1
            continue
        with open(path, "rb") as fh:
            store.save(key, fh)
        copied += 1
    return copied, present
