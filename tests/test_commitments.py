"""Committed officials: the public list, one-step commit and withdraw, staff add and remove,
CSV import with a preview (good rows in, bad rows reported, nothing half-imported), and an
official's public profile."""

import io

import sqlalchemy as sa

from models import Commitment
from models.base import db
from tests.publishing import published_study


def _count() -> int:
    return db.session.scalar(sa.select(sa.func.count(Commitment.id)))


def test_member_commits_in_one_step_and_withdraws(app, client, make_user, login_as):
    member = make_user(office="Council Member", jurisdiction="Ithaca", us_state="NY")
    login_as(member)
    assert "Commit to the agenda" in client.get("/commitments").get_data(as_text=True)
    response = client.post("/commitments/commit", follow_redirects=True)
    html = response.get_data(as_text=True)
    assert "you are now listed" in html and "New York" in html and member.name in html
    assert _count() == 1
    client.post("/commitments/commit")  # a second time changes nothing
    assert _count() == 1
    client.post("/commitments/withdraw")
    assert _count() == 0


def test_commit_needs_a_member_and_post(app, client, make_user, login_as):
    assert client.get("/commitments/commit").status_code == 405
    assert client.post("/commitments/commit").status_code in (302, 401)
    login_as(make_user("partner", us_state="NY"))
    assert client.post("/commitments/commit").status_code == 403
    assert _count() == 0


def test_list_grouped_and_filtered_by_state_with_total(app, client, make_user, login_as):
    staff = make_user("staff")
    login_as(staff)
    for name, state in (("Ana", "CA"), ("Ben", "CA"), ("Cy", "NY")):
        client.post(
            "/commitments/add",
            data={"name": name, "office": "Mayor", "jurisdiction": "X", "us_state": state},
        )
    client.post("/auth/logout")
    html = client.get("/commitments").get_data(as_text=True)
    assert "<strong>3</strong>" in html and "California" in html and "New York" in html
    only = client.get("/commitments?state=NY").get_data(as_text=True)
    assert "Cy" in only and "Ana" not in only
    assert client.get("/commitments?state=%00").status_code == 200


def test_staff_add_errors_name_the_field_and_remove(app, client, make_user, login_as):
    login_as(make_user("staff"))
    html = client.post("/commitments/add", data={"name": "", "office": "Mayor typed"}).get_data(
        as_text=True
    )
    assert "Name:" in html and "Mayor typed" in html
    client.post("/commitments/add", data={"name": "Dee", "us_state": "TX"})
    commitment = db.session.scalar(sa.select(Commitment))
    client.post(f"/commitments/{commitment.id}/remove")
    assert _count() == 0


def test_staff_only_management(app, client, make_user, login_as):
    login_as(make_user(us_state="NY"))
    assert client.get("/commitments/add").status_code == 403
    assert client.post("/commitments/import").status_code == 403


CSV = (
    "name,office,jurisdiction,state,date,email\n"
    "Good One,Council Member,Austin,TX,2024-05-01,\n"
    "Good Two,Mayor,Boise,id,,\n"
    ",Mayor,Nowhere,TX,,\n"
    "Bad State,Mayor,Atlantis,ZZ,,\n"
    "Bad Date,Mayor,Reno,NV,31/12/2024,\n"
    "Good One,Council Member,Austin,TX,,\n"
    "No Account,Mayor,Reno,NV,,nobody@example.org\n"
)


def test_csv_import_preview_then_all_good_rows(app, client, make_user, login_as):
    login_as(make_user("staff"))
    preview = client.post(
        "/commitments/import",
        data={"file": (io.BytesIO(CSV.encode()), "officials.csv")},
        content_type="multipart/form-data",
    ).get_data(as_text=True)
    assert "2 rows ready to import" in preview and "5 rows refused" in preview
    for reason in (
        "name is empty",
        "not a state or territory code",
        "not a date",
        "already on the list",
        "no account has the email",
    ):
        assert reason in preview, reason
    assert _count() == 0  # the preview saves nothing
    done = client.post(
        "/commitments/import", data={"csv_text": CSV, "confirm": "1"}, follow_redirects=True
    ).get_data(as_text=True)
    assert "2 committed officials imported; 5 refused" in done
    names = sorted(db.session.scalars(sa.select(Commitment.name)))
    assert names == ["Good One", "Good Two"]
    # importing the same file again adds nothing: every row is now a duplicate
    client.post("/commitments/import", data={"csv_text": CSV, "confirm": "1"})
    assert _count() == 2


def test_csv_import_is_all_or_nothing(app, client, make_user, login_as, monkeypatch):
    from review import commitments

    login_as(make_user("staff"))
    real_add = commitments.add
    calls = {"n": 0}

    def failing_add(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 2:
            raise RuntimeError("database hiccup")
        return real_add(*args, **kwargs)

    monkeypatch.setattr(commitments, "add", failing_add)
    response = client.post("/commitments/import", data={"csv_text": CSV, "confirm": "1"})
    assert response.status_code == 500
    db.session.rollback()
    assert _count() == 0


def test_csv_import_bad_files(app, client, make_user, login_as):
    login_as(make_user("staff"))
    for body in (b"\xff\xfe\x00garbage", b"who,what\n1,2\n", b""):
        html = client.post(
            "/commitments/import",
            data={"file": (io.BytesIO(body), "x.csv")},
            content_type="multipart/form-data",
        ).get_data(as_text=True)
        assert "UTF-8" in html or "missing: name, state" in html
    assert _count() == 0


def test_official_profile(app, client, make_user, login_as):
    member = make_user(office="Alder", jurisdiction="Madison", us_state="WI")
    assert client.get(f"/officials/{member.id}").status_code == 404
    study = published_study(member)
    login_as(member)
    client.post("/commitments/commit")
    client.post("/auth/logout")
    html = client.get(f"/officials/{member.id}").get_data(as_text=True)
    assert member.name in html and "Alder, Madison" in html and study.title in html
    assert "Committed to the Dare to Reimagine agenda" in html
    assert client.get("/officials/999999").status_code == 404
