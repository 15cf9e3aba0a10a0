"""The render sweep: every GET page, for every role, on a rich study in every workflow state.

0 responses of 500 or more, and each the status SPEC §9 says (tests/sweep.py holds the world,
the page list and the expectations; the browser sweep reuses them). Every id in a path, given
a number no row can have (0, -1, 2^63 - 1, 2^63, 2^64, 10^30), answers 404 on both engines.
"""

import types
from collections import Counter
from functools import partial

from flask import template_rendered

from models import CaseStudy
from tests.sweep import ROLES, bad_id_paths, build_world, expected, pages, sign_in

HELPER_TYPES = (types.FunctionType, types.BuiltinFunctionType, types.MethodType, partial)


def test_every_page_answers_every_role_as_the_spec_says(app, make_user):
    world = build_world(make_user)
    every = pages(app, world)
    assert len(every) > 100
    wrong, statuses = [], Counter()
    handed = set()  # helpers a view passed to its template instead of review/infra/templating.py

    def record(sender, template, context, **extra):
        handed.update(
            f"{template.name}: {name}"
            for name, value in context.items()
            if isinstance(value, HELPER_TYPES) and name not in app.jinja_env.globals
        )

    template_rendered.connect(record, app)
    for role in ROLES:
        client = sign_in(app, world.people.get(role))
        for page in every:
            status = client.get(page.path).status_code
            statuses[status] += 1
            want = expected(world, role, page)
            if status != want:
                state = page.study.state.value if isinstance(page.study, CaseStudy) else ""
                wrong.append(f"{role:11} {page.path} [{state}] {status}, expected {want}")
    template_rendered.disconnect(record, app)
    assert not handed, sorted(handed)
    print(f"\nrender sweep: {len(every)} pages x {len(ROLES)} roles: {dict(statuses)}")
    assert not [w for w in wrong if " 5" in w.split("]")[-1][:3]], "\n".join(wrong)
    assert not wrong, "\n".join(wrong)


def test_ids_no_row_can_have_answer_404(app, make_user):
    world = build_world(make_user)
    paths = bad_id_paths(app, world)
    assert len(paths) >= 6 * 10
    for role in ("visitor", "staff"):
        client = sign_in(app, world.people.get(role))
        wrong = [(p, s) for p in paths if (s := client.get(p).status_code) != 404]
        assert not wrong, f"{role}: {wrong}"
