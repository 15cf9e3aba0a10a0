"""Each person's private calendar feed (ICS) at a secret address; review.calendars builds it."""

from flask import Blueprint, Response, abort

from review import calendars

bp = Blueprint("calendar", __name__, url_prefix="/calendar")


@bp.get("/<token>.ics")
def feed(token: str):
    user = calendars.person_by_token(token)
    if user is None:
        abort(404)  # never issued, or reset: the address tells nothing
    response = Response(calendars.feed(user), mimetype="text/calendar")
    response.headers["Content-Disposition"] = 'inline; filename="dare-to-reimagine.ics"'
    # The secret is in the URL: keep it out of shared caches and referrers.
    response.headers["Cache-Control"] = "private, max-age=300"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response
