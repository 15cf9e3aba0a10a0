"""The staff console: operations.py changes people, pillars, settings, reviews and notifications;
queries.py holds the lists the console pages through; dashboard.py the dashboard's figures;
exports.py the CSV and JSON exports. Re-exported here (`staff.invite`, `staff.dashboard`).
"""

from review.staff.dashboard import (
    STATE_COLOURS,
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
    notification_kinds,
    notifications_query,
    people_query,
    pillars_without_cochairs,
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
    "change_kind",
    "dashboard",
    "deactivate",
    "decide_access_request",
    "extend_affirmation",
    "invite",
    "notification_kinds",
    "notification_summary",
    "notifications_query",
    "people_query",
    "pillars_without_cochairs",
    "queue_health",
    "reactivate",
    "remind_now",
    "remove_cochair",
    "resend_invitation",
    "resend_notification",
    "safe_cell",
    "settings",
    "studies_query",
    "study_counts",
    "update_pillar",
    "update_settings",
    "waiting_cochairs",
]
