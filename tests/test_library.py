"""The public library: slugs, search relevance, facets, visibility, the study page, and the
number of statements a page costs — on SQLite and PostgreSQL."""

import io
import re
from contextlib import contextmanager

import pytest
import sqlalchemy as sa

from models import CaseStudy, Pillar, TimelineEvent
from models.base import db
from models.enums import GovernmentType, StudyKind
from review import library
from review.infra.markdown import render
from review.library import search as library_search
from tests.factories import complete_study
from tests.publishing import publish, published_study, set_state, unpublish


@contextmanager
def count_statements():
    """Count the SQL statements run inside the block."""
    seen = []

    def before(conn, cursor, statement, parameters, context, executemany):
        seen.append(statement)

    engine = db.engine
    sa.event.listen(engine, "before_cursor_execute", before)
    try:
        yield seen
    finally:
        sa.event.remove(engine, "before_cursor_execute", before)


def pillars():
    return db.session.scalars(sa.select(Pillar).order_by(Pillar.position)).all()


def slugs_in(html: str) -> list[str]:
    return re.findall(r'href="/library/([a-z0-9-]+)"', html)


def test_slug_is_place_title_unique_and_stable(app, make_user):
    author = make_user()
    first = published_study(author, topics=("right to counsel",), place="Takoma Park")
    second = published_study(author, topics=("right to counsel",), place="Takoma Park")
    assert first.slug == "takoma-park-right-to-counsel-for-tenants"
    assert second.slug == "takoma-park-right-to-counsel-for-tenants-2"
    unpublish(first)
    publish(first)
    assert first.slug == "takoma-park-right-to-counsel-for-tenants"


def test_search_finds_any_section_and_stems_and_ranks(app, client, make_user):
    author = make_user()
    strong = published_study(
        author,
        title="Worker cooperatives for home care",
        place="Madison",
        summary="The city funds cooperatives owned by home-care workers.",
        outcomes_md="Three cooperatives formed; cooperative members earn more.",
    )
    weak = published_study(
        author,
        title="A budget for people",
        place="Oakland",
        lessons_md="One speaker mentioned a cooperative grocery.",
    )
    hidden_word = published_study(author, title="Transit passes", place="Denver")
    hidden_word.timeline.append(
        TimelineEvent(position=5, year=2023, month=1, description="Zamboni hearing held")
    )
    db.session.commit()
    library.reindex(hidden_word)
    political = published_study(
        author,
        title="Youth councils",
        place="Boston",
        political_environment_md="The quixotic opposition of the parking lobby " * 5,
    )
    db.session.commit()

    html = client.get("/library?q=cooperative").get_data(as_text=True)
    found = slugs_in(html)
    assert strong.slug in found and weak.slug in found
    assert found.index(strong.slug) < found.index(weak.slug)
    # a stem variant of the word
    assert strong.slug in slugs_in(client.get("/library?q=cooperatives").get_data(as_text=True))
    assert hidden_word.slug in slugs_in(client.get("/library?q=zamboni").get_data(as_text=True))
    assert political.slug in slugs_in(client.get("/library?q=quixotic").get_data(as_text=True))
    # odd input is just words, never query syntax or a 500
    for q in ['"', "NEAR(", "a:b", "'; drop", "*", "((", "-", "\x00x", "é" * 300]:
        assert client.get("/library", query_string={"q": q}).status_code == 200


def _spread(make_user):
    author = make_user()
    ps = pillars()
    specs = [
        (ps[0], StudyKind.policy_win, "MD", GovernmentType.city, 2021, ("housing",)),
        (ps[0], StudyKind.organizing_example, "MD", GovernmentType.county, 2022, ("budget",)),
        (ps[1], StudyKind.policy_win, "CA", GovernmentType.city, 2022, ("housing", "transit")),
        (ps[2], StudyKind.policy_win, "CA", GovernmentType.school_district, 2023, ("youth",)),
        (ps[4], StudyKind.organizing_example, "NY", GovernmentType.city, 2023, ("housing",)),
    ]
    out = []
    for i, (p, kind, state, gov, year, topics) in enumerate(specs):
        out.append(
            published_study(
                author,
                topics=topics,
                pillar=p,
                kind=kind,
                state_code=state,
                government_type=gov,
                year_start=year - 1,
                year_end=year,
                place=f"Place {i}",
                title=f"Tenant housing study {i}",
            )
        )
    return out


def test_facet_counts_agree_with_results(app, make_user):
    _spread(make_user)
    for q in ("", "housing"):
        base = library.Query(q=q, per_page=100)
        page = library.library_page(base)
        assert page.total == len(page.cards)
        for name in library.FACETS:
            values = [v for v in page.facets.by_name[name] if v.count]
            assert sum(v.count for v in values) >= (page.total if name != "topic" else 0)
            for v in values:
                narrowed = library.library_page(
                    library.Query(
                        q=q, per_page=100, **{name: int(v.value) if name == "year" else v.value}
                    )
                )
                assert narrowed.total == v.count == len(narrowed.cards), (name, v)
    two = library.library_page(library.Query(state="CA", kind="policy_win", topic="housing"))
    assert two.total == 1
    assert two.facets.count("pillar", pillars()[1].slug) == 1


def test_facets_combine_in_the_url(app, client, make_user):
    _spread(make_user)
    html = client.get("/library?state=MD&kind=organizing_example").get_data(as_text=True)
    assert len(set(slugs_in(html)) - {""}) == 1
    assert "Remove filter State: Maryland" in html or "State: Maryland" in html


def test_unpublished_work_is_never_public(app, client, make_user):
    author = make_user()
    visible = published_study(
        author, title="Visible secretword study", place="Austin", state_code="TX"
    )
    draft = complete_study(author, title="Draft secretword", place="Reno", state_code="NV")
    in_review = complete_study(author, title="Review secretword", place="Boise", state_code="ID")
    set_state(in_review, "in_review")
    gone = published_study(author, title="Gone secretword", place="Tulsa", state_code="OK")
    unpublish(gone)
    db.session.commit()

    for url in ("/library", "/library?q=secretword", "/library?state=NV", "/library?state=OK"):
        html = client.get(url).get_data(as_text=True)
        assert "Draft secretword" not in html and "Review secretword" not in html
        assert "Gone secretword" not in html
    page = library.library_page(library.Query(q="secretword"))
    assert [c.slug for c in page.cards] == [visible.slug]
    assert page.total == 1
    assert page.facets.count("state", "NV") == 0 and page.facets.count("state", "OK") == 0
    assert sum(v.count for v in page.facets.by_name["pillar"]) == 1
    sitemap = client.get("/library/sitemap.xml").get_data(as_text=True)
    assert f"/library/{visible.slug}<" in sitemap and f"/library/{gone.slug}<" not in sitemap
    assert sitemap.count("<url>") == 2  # the library itself and the one published study
    assert client.get(f"/library/{gone.slug}").status_code == 410
    assert client.get("/library/no-such-study").status_code == 404
    assert draft.slug is None


def test_empty_results_suggest_what_to_loosen(app, client, make_user):
    _spread(make_user)
    html = client.get("/library?q=housing&state=NY&kind=policy_win").get_data(as_text=True)
    assert "No case studies match" in html
    assert "Remove the kind" in html and "Search all studies for these words" in html


@pytest.mark.parametrize("size", [5, 50])
def test_library_page_costs_at_most_three_statements(app, client, make_user, size):
    author = make_user()
    ps = pillars()
    for i in range(size):
        study = complete_study(
            author, pillar=ps[i % 5], place=f"Town {i}", title=f"Study number {i}"
        )
        publish(study)
    library.facet_cache().clear()
    db.session.remove()
    with count_statements() as seen:
        response = client.get(f"/library?per_page={size}")
    assert response.status_code == 200
    assert len(slugs_in(response.get_data(as_text=True))) >= size
    assert len(seen) == 3, seen
    with count_statements() as again:
        client.get(f"/library?per_page={size}&q=study")
    library.facet_cache().clear()
    with count_statements() as searched:
        client.get(f"/library?per_page={size}&q=study&state=MD")
    assert len(again) <= 3 and len(searched) == 3


def test_statement_count_equal_for_5_and_50(app, client, make_user):
    author = make_user()
    for i in range(50):
        publish(complete_study(author, place=f"Town {i}", title=f"Study {i}"))
    counts = []
    for size in (5, 50):
        library.facet_cache().clear()
        db.session.remove()
        with count_statements() as seen:
            assert client.get(f"/library?per_page={size}").status_code == 200
        counts.append(len(seen))
    assert counts[0] == counts[1] <= 3


def test_study_page_shows_everything(app, client, make_user):
    author = make_user(office="Council Member", jurisdiction="Takoma Park")
    study = published_study(author, topics=("housing", "tenants"))
    other = published_study(author, title="Another housing win", place="Hyattsville")
    html = client.get(f"/library/{study.slug}").get_data(as_text=True)
    for text in (
        "Right to counsel for tenants",
        "Takoma Park",
        "Maryland",
        "City",
        "right to counsel",
        "Tenant union forms",
        "2022-06-14",
        "Takoma Tenants United",
        "Ally",
        "Council Member, Takoma Park",
        f"/officials/{author.id}",
        'property="og:title"',
        "Published",
        "Affirmed by the network",
        "Related case studies",
        other.title,
        "Evictions fell by a third",
    ):
        assert text in html, text
    assert "Last updated" not in html
    set_state(study, "published", corrected_at=study.published_at)
    db.session.commit()
    assert "Last updated" in client.get(f"/library/{study.slug}").get_data(as_text=True)


def test_study_page_statements_do_not_grow_with_rows(app, client, make_user):
    author = make_user()
    small = published_study(author, place="Small")
    big = published_study(author, place="Big")
    for i in range(30):
        big.timeline.append(
            TimelineEvent(position=10 + i, year=2020, month=1 + i % 12, description=f"Event {i}")
        )
    db.session.commit()
    counts = []
    for slug in (small.slug, big.slug):
        db.session.remove()
        with count_statements() as seen:
            assert client.get(f"/library/{slug}").status_code == 200
        counts.append(len(seen))
    assert counts[0] == counts[1]


def test_bad_library_arguments_never_fail(app, client, make_user):
    published_study(make_user())
    for qs in (
        "page=0",
        "page=abc",
        "page=99999999999",
        "per_page=-1",
        "year=x",
        "year=99999",
        "state=ZZ",
        "kind=nope",
        "sort=up",
        "government=%00",
        "topic=" + "x" * 500,
        "pillar=nope",
        "page=3",
    ):
        assert client.get(f"/library?{qs}").status_code == 200, qs


def test_state_map_links_to_the_state_filter(app, client, make_user):
    _spread(make_user)
    html = client.get("/library").get_data(as_text=True)
    assert 'data-state="CA"' in html and "/library?state=CA" in html
    assert 'data-state="WY"' not in html  # no studies there, so no link


def test_markdown_rendered_not_reparsed(app, make_user):
    study = published_study(make_user(), overview_md="x", overview_html=render("**bold**"))
    assert db.session.get(CaseStudy, study.id).overview_html.startswith("<p><strong>")


def test_publish_and_unpublish_through_the_workflow(app, client, make_user):
    from models.clock import utcnow
    from review import workflow

    staff = make_user("staff")
    study = complete_study(make_user(), title="Workflow published", place="Ithaca")
    set_state(study, "affirmed", affirmed_at=utcnow(), current_round=1)
    db.session.commit()
    workflow.apply(study, "publish", staff)
    db.session.commit()
    assert study.slug == "ithaca-workflow-published"
    assert study.slug in slugs_in(client.get("/library?q=workflow").get_data(as_text=True))
    assert client.get(f"/library/{study.slug}").status_code == 200
    workflow.apply(study, "unpublish", staff, reason="Facts are being checked")
    db.session.commit()
    assert client.get(f"/library/{study.slug}").status_code == 410
    assert study.slug not in slugs_in(client.get("/library?q=workflow").get_data(as_text=True))
    assert library.library_page(library.Query()).total == 0


def test_a_very_common_word_lists_newest_first(app, client, make_user, monkeypatch):
    _spread(make_user)
    monkeypatch.setattr(library_search, "RANK_CANDIDATES", 2)
    everything = library.library_page(library.Query(q="housing", per_page=2))
    assert everything.total == 5 and everything.pages == 3 and everything.unranked
    newest = library.library_page(library.Query(per_page=2, topic="housing"))
    assert [c.id for c in everything.cards] != [] and len(everything.cards) == 2
    ids = [
        c.id
        for p in (1, 2, 3)
        for c in library.library_page(library.Query(q="housing", per_page=2, page=p)).cards
    ]
    assert len(set(ids)) == 5  # every match, once, over the pages
    narrowed = library.library_page(library.Query(q="housing", state="CA", per_page=5))
    assert sorted(c.state_code for c in narrowed.cards) == ["CA", "CA"]
    assert not narrowed.unranked
    html = client.get("/library?q=housing").get_data(as_text=True)
    assert "newest are shown first" in html
    assert newest.total == 3


def test_staff_correction_is_a_revision_and_shows_last_updated(app, client, make_user, login_as):
    from models import AuditEvent, Revision

    study = published_study(make_user(), title="Uncorrected title")
    login_as(make_user())
    assert client.get(f"/library/{study.slug}/correct").status_code == 403
    client.post("/auth/logout")
    login_as(make_user("staff"))
    form = client.get(f"/library/{study.slug}/correct").get_data(as_text=True)
    assert "Uncorrected title" in form
    data = {
        "version": str(study.version),
        "title": "Corrected zeppelin title",
        "summary": "New summary",
        "note": "Fixed the title",
        "overview_md": "Now **bold**",
        "outcomes_md": "Better",
    }
    missing_note = client.post(f"/library/{study.slug}/correct", data={**data, "note": ""})
    assert "What was corrected:" in missing_note.get_data(as_text=True)
    stale = client.post(f"/library/{study.slug}/correct", data={**data, "version": "0"})
    assert stale.status_code == 409 and "Corrected zeppelin title" in stale.get_data(as_text=True)
    done = client.post(f"/library/{study.slug}/correct", data=data, follow_redirects=True)
    html = done.get_data(as_text=True)
    assert "Corrected zeppelin title" in html and "Last updated" in html
    assert "<strong>bold</strong>" in html
    assert db.session.scalar(sa.select(Revision.reason).where(Revision.study_id == study.id)) == (
        "correction"
    )
    assert db.session.scalar(sa.select(AuditEvent.comment).where(AuditEvent.event == "correct"))
    assert study.slug in slugs_in(client.get("/library?q=zeppelin").get_data(as_text=True))


def test_attachments_download_from_the_public_page(app, client, make_user):
    from models import Attachment
    from review import attachments

    author = make_user()
    study = published_study(author)
    draft = complete_study(author, place="Hidden")
    rows = []
    for owner in (study, draft):
        row = Attachment(
            study_id=owner.id,
            filename="plan.pdf",
            content_type="application/pdf",
            size=8,
            sha256="0" * 64,
            storage_key=f"ab{owner.id}key",
            uploaded_by_id=author.id,
        )
        db.session.add(row)
        db.session.commit()
        attachments.storage.current().save(row.storage_key, io.BytesIO(b"%PDF-1.4"))
        db.session.commit()
        rows.append(row)
    html = client.get(f"/library/{study.slug}").get_data(as_text=True)
    assert f"/library/{study.slug}/files/{rows[0].id}" in html
    response = client.get(f"/library/{study.slug}/files/{rows[0].id}")
    assert response.status_code == 200 and response.data == b"%PDF-1.4"
    assert client.get(f"/library/{study.slug}/files/{rows[1].id}").status_code == 404
