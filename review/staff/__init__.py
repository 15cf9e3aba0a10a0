"""The staff console: operations.py changes people, pillars, settings, reviews and notifications;
queries.py holds the lists the console pages through; dashboard.py the dashboard's figures and
chart.py its chart; exports.py the CSV and JSON exports. Re-exported here (`staff.invite`,
`staff.dashboard`).
"""

from review.staff.chart import STATE_COLOURS
from review.staff.dashboard import (
    dashboard,
    notification_summary,
    queue_health,
    study_counts,
)
from review.staff.exports import (
    audit_csv,
    safe_cell,
)
from review.staff.operations import (
    StaffError,
    add_cochair,
    change_kind,
    deactivate,
    decide_access_request,
    extend_affirmation,
    invite,
    reactivate,
    remind_now,
    remove_cochair,
    resend_invitation,
    resend_notification,
    update_pillar,
    update_settings,
)
from review.staff.queries import (
    audit_events,
    audit_query,
    authored_by,
    notification_kinds,
    notifications_query,
    open_window,
    past_draft_counts,
    pending_access_requests,
    people_query,
    pillars,
    pillars_without_cochairs,
    session_count,
    settings,
    studies_query,
    waiting_cochairs,
)

__all__ = [
    "STATE_COLOURS",
    "StaffError",
    "add_cochair",
    "audit_csv",
    "audit_events",
    "audit_query",
    "authored_by",
    "change_kind",
    "dashboard",
    "deactivate",
    "decide_access_request",
    "extend_affirmation",
    "invite",
    "notification_kinds",
    "notification_summary",
    "notifications_query",
    "open_window",
    "past_draft_counts",
    "pending_access_requests",
    "people_query",
    "pillars",
    "pillars_without_cochairs",
    "queue_health",
    "reactivate",
    "remind_now",
    "remove_cochair",
    "resend_invitation",
    "resend_notification",
    "safe_cell",
    "session_count",
    "settings",
    "studies_query",
    "study_counts",
    "update_pillar",
    "update_settings",
    "waiting_cochairs",
]
