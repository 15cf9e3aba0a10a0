"""One blueprint per area; the blueprint's name is its module, URL prefix and template folder."""

from flask import Flask

from review.views import (
    account,
    affirmation,
    api,
    auth,
    broadcasts,
    calendar,
    cochair,
    commitments,
    feeds,
    imports,
    library,
    main,
    staff,
    staff_people,  # noqa: F401 (the people routes of staff.bp, added as it is imported)
    staff_records,  # noqa: F401 (the audit, outbox and export routes of staff.bp)
    studies,
    study_files,  # noqa: F401 (the file and lead image routes of studies.bp, once imported)
    synonyms,
)

BLUEPRINTS = (
    main.bp,
    auth.bp,
    account.bp,
    calendar.bp,
    studies.bp,
    cochair.bp,
    affirmation.bp,
    library.bp,
    commitments.bp,
    feeds.bp,
    api.bp,
    staff.bp,
    broadcasts.bp,
    imports.bp,
    synonyms.bp,
)


def register_blueprints(app: Flask) -> None:
    for bp in BLUEPRINTS:
        app.register_blueprint(bp)
