"""Attachment download benchmark: a 10 MB file from the database store vs the same file from disk.

Two gunicorn web processes (gunicorn.conf.py, one worker each) share one PostgreSQL database:
one serves attachments from the database store (chunks of review.infra.storage.CHUNK, one query
each), the other from a folder on disk (the server's sendfile). The same attachment row is
downloaded through both, interleaved, `--repeat` times; every figure comes from this one run.

- time: the median wall-clock time of a whole download (the client reads and discards it);
  target: database ≤ 1.5 × disk;
- memory: the peak resident memory (VmHWM) of the database web worker after a small warm-up
  download and after all the 10 MB downloads; target: it grows by less than 2 MB.
"""

import argparse
import hashlib
import os
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from pathlib import Path

os.environ.setdefault("APP_ENV", "test")

import psycopg  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
SIZE = 10 * 1024 * 1024
PG_ADMIN_URL = os.environ.get("BENCH_PG_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/postgres")


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _prepare(url: str, folder: Path) -> tuple[str, str, bytes]:
    """Migrate, then make a person, a study and a 10 MB and a small attachment; return the
    download paths of both and the big file's bytes."""
    from flask_migrate import upgrade

    from models import Attachment, User
    from models.base import db
    from models.clock import utcnow
    from models.enums import UserKind
    from models.pillar import seed_pillars
    from review.app import create_app
    from review.infra import storage
    from review.infra.passwords import hash_password
    from tests.factories import complete_study

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "UPLOAD_FOLDER": str(folder)})
    content = b"%PDF-1.4\n" + os.urandom(SIZE - 9)
    with app.app_context():
        upgrade()
        seed_pillars()
        user = User(
            email="bench@example.net",
            name="Bench",
            kind=UserKind.member,
            password_hash=hash_password("bench password 1"),
            created_at=utcnow(),
        )
        db.session.add(user)
        db.session.commit()
        study = complete_study(user)
        paths = []
        for name, data in (("big.pdf", content), ("small.pdf", b"%PDF-1.4 small")):
            key = uuid.uuid4().hex
            storage.DatabaseStore().save(key, _Reader(data))
            storage.FolderStore(str(folder)).save(key, _Reader(data))
            row = Attachment(
                study_id=study.id,
                filename=name,
                content_type="application/pdf",
                size=len(data),
                sha256=hashlib.sha256(data).hexdigest(),
                storage_key=key,
                uploaded_by_id=user.id,
                created_at=utcnow(),
            )
            db.session.add(row)
            db.session.commit()
            paths.append(f"/studies/{study.id}/attachments/{row.id}")
        db.engine.dispose()
    return paths[0], paths[1], content


class _Reader:
    def __init__(self, data: bytes):
        self.data, self.at = data, 0

    def read(self, n: int = -1) -> bytes:
        chunk = self.data[self.at : self.at + n]
        self.at += len(chunk)
        return chunk


class Web:
    """One gunicorn web process with one worker, on its own port."""

    def __init__(self, url: str, folder: Path, store: str, log: Path):
        self.port = _free_port()
        env = {
            **os.environ,
            "APP_ENV": "test",
            "DATABASE_URL": url,
            "UPLOAD_FOLDER": str(folder),
            "ATTACHMENT_STORE": store,
            "PYTHONPATH": str(ROOT),
        }
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "-c",
                str(ROOT / "gunicorn.conf.py"),
                "--bind",
                f"127.0.0.1:{self.port}",
                "--workers",
                "1",
                "wsgi:app",
            ],
            cwd=ROOT,
            env=env,
            stdout=open(log, "ab"),  # noqa: SIM115
            stderr=subprocess.STDOUT,
        )
        self.cookie = ""

    def wait(self) -> None:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{self.port}/healthz", timeout=5)
                return
            except OSError:
                time.sleep(0.2)
        raise SystemExit("the web process did not start")

    def sign_in(self) -> None:
        data = b"email=bench%40example.net&password=bench+password+1"
        request = urllib.request.Request(f"http://127.0.0.1:{self.port}/auth/login", data=data)
        opener = urllib.request.build_opener(_NoRedirect)
        try:
            response = opener.open(request, timeout=30)
        except urllib.error.HTTPError as exc:
            response = exc
        self.cookie = "; ".join(c.split(";", 1)[0] for c in response.headers.get_all("Set-Cookie"))

    def download(self, path: str) -> tuple[float, str]:
        """Return the seconds a whole download took and the sha256 of what arrived."""
        request = urllib.request.Request(
            f"http://127.0.0.1:{self.port}{path}", headers={"Cookie": self.cookie}
        )
        digest = hashlib.sha256()
        started = time.perf_counter()
        with urllib.request.urlopen(request, timeout=60) as response:
            while chunk := response.read(1024 * 1024):
                digest.update(chunk)
        return time.perf_counter() - started, digest.hexdigest()

    def worker_peak_kb(self) -> int:
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children").read_text()
        pid = int(children.split()[0])
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
        raise SystemExit("no VmHWM")

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(30)


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench attachments")
    parser.add_argument("--repeat", type=int, default=15)
    args = parser.parse_args(argv)
    name = f"rr_bench_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    url = PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    webs = []
    try:
        with tempfile.TemporaryDirectory(prefix="rr-bench-files-") as tmp:
            folder = Path(tmp) / "uploads"
            big, small, content = _prepare(url, folder)
            expected = hashlib.sha256(content).hexdigest()
            database = Web(url, folder, "database", Path(tmp) / "database.log")
            disk = Web(url, folder, "folder", Path(tmp) / "disk.log")
            webs = [database, disk]
            for web in webs:
                web.wait()
                web.sign_in()
                web.download(small)
            before = database.worker_peak_kb()
            times = {"database": [], "disk": []}
            for _ in range(args.repeat):
                for label, web in (("disk", disk), ("database", database)):
                    seconds, digest = web.download(big)
                    assert digest == expected, f"{label} served other bytes"
                    times[label].append(seconds)
            after = database.worker_peak_kb()
    finally:
        for web in webs:
            web.stop()
        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    db_median, disk_median = statistics.median(times["database"]), statistics.median(times["disk"])
    ratio = db_median / disk_median
    growth = (after - before) / 1024
    print(f"10 MB download, median of {args.repeat}, one run:")
    print(f"  disk (sendfile)   {disk_median * 1000:7.1f} ms")
    print(f"  database store    {db_median * 1000:7.1f} ms   ratio {ratio:.2f}x (target ≤ 1.5x)")
    print(
        f"  database worker peak RSS {before / 1024:.1f} MB -> {after / 1024:.1f} MB: "
        f"grew {growth:.2f} MB (target < 2 MB)"
    )
    ok = ratio <= 1.5 and growth < 2
    print("PASS" if ok else "FAIL")
    if not ok:
        raise SystemExit(1)


if __name__ == "__main__":
    main(sys.argv[1:])
