"""The render sweep in Chromium: every HTML page of every role, on a phone and on a desk.

For each role, one browser context (390×844, is_mobile, touch) signs in once and opens each
page that role may see: the page must not scroll sideways at 390 px, and axe-core (from npm,
package.json) must find 0 WCAG 2.2 A/AA violations at 390 px and again at 1280 px. Then the
footer's switch turns the same context to Spanish, whose words run longer, and every page again
must say lang="es" and not scroll sideways at 390 px nor at 1280 px.
"""

import json
import shutil
import time
from pathlib import Path

import pytest

from tests.conftest import PASSWORD, user_maker
from tests.sweep import ROLES, build_world, expected, pages

pytestmark = pytest.mark.browser

AXE = Path(__file__).resolve().parent.parent / "node_modules" / "axe-core" / "axe.min.js"
WCAG = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22a", "wcag22aa"]
PHONE = {"width": 390, "height": 844}
DESK = {"width": 1280, "height": 800}
# Answers that are not pages a person reads: data, feeds, files, the raw email frame.
NOT_HTML = {
    "main.healthz",
    "library.sitemap",
    "library.download",
    "studies.download",
    "library.image",
    "studies.image",
    "staff.export_csv",
    "staff.export_json",
    "staff.audit_csv",
    "staff.notification_html",
    "library.slug_check",
    "library.suggest",
}

AXE_RUN = """async (tags) => {
  const result = await axe.run(document, {runOnly: {type: "tag", values: tags},
                                          resultTypes: ["violations"]});
  return result.violations.map(v => ({id: v.id, help: v.help,
    nodes: v.nodes.slice(0, 3).map(n => n.target.join(" "))}));
}"""


def _html_pages(world, every, role):
    return [
        p
        for p in every
        if p.endpoint not in NOT_HTML
        and not p.endpoint.startswith(("api.", "feeds."))
        and expected(world, role, p) == 200
    ]


def _sign_in(page, base, user):
    page.goto(base + "/auth/login")
    page.fill("#email", user.email)
    page.fill("#password", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_load_state()


# Two halves of about the same number of pages, so that `pytest -n 2` runs them side by side.
HALVES = [ROLES[:5], ROLES[5:]]


@pytest.mark.parametrize("roles", HALVES, ids=["+".join(h) for h in HALVES])
def test_no_page_scrolls_sideways_on_a_phone_and_axe_finds_nothing(browser, live_server, roles):
    assert AXE.is_file(), "axe-core is missing: run `npm ci` (make test does)"
    assert shutil.which("chromium")
    world = build_world(user_maker())
    every = pages(live_server.app, world)
    wide, violations, visited = [], [], 0
    started = time.monotonic()
    for role in roles:
        context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
        context.add_init_script(path=str(AXE))
        page = context.new_page()
        page.set_default_timeout(15_000)
        if role != "visitor":
            _sign_in(page, live_server.url, world.people[role])
        targets = _html_pages(world, every, role)
        for target in targets:
            page.set_viewport_size(PHONE)
            response = page.goto(live_server.url + target.path)
            assert response.status == 200, (role, target.path, response.status)
            visited += 1
            width = page.evaluate("document.documentElement.scrollWidth")
            if width > PHONE["width"]:
                wide.append(f"{role} {target.path}: {width}px")
            for size in (PHONE, DESK):
                page.set_viewport_size(size)
                for v in page.evaluate(AXE_RUN, WCAG):
                    violations.append(
                        f"{role} {target.path} @{size['width']}: {v['id']} ({v['help']}) "
                        + json.dumps(v["nodes"])
                    )
        page.set_viewport_size(PHONE)
        page.click(".language-switch button[value=es]")
        page.wait_for_load_state()
        for target in targets:
            page.set_viewport_size(PHONE)
            response = page.goto(live_server.url + target.path)
            assert response.status == 200, (role, "es", target.path, response.status)
            assert page.evaluate("document.documentElement.lang") == "es", (role, target.path)
            visited += 1
            for size in (PHONE, DESK):
                page.set_viewport_size(size)
                width = page.evaluate("document.documentElement.scrollWidth")
                if width > size["width"]:
                    wide.append(f"{role} {target.path} (es @{size['width']}): {width}px")
        context.close()
    print(f"\nbrowser sweep: {visited} pages in {time.monotonic() - started:.1f}s")
    assert not wide, "pages wider than their window:\n" + "\n".join(wide)
    assert not violations, "axe violations:\n" + "\n".join(sorted(set(violations)))
