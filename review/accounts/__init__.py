"""Accounts: invitations, access requests, passwords, tokens, profile and email changes
(operations.py), and notification preferences (preferences.py). Re-exported here.
"""

from review.accounts.operations import (
    AccountError,
    change_email,
    change_password,
    confirm_email_change,
    create_unclaimed,
    create_user,
    decide_access_request,
    find_user,
    invite,
    make_token,
    normalise_email,
    read_email_change,
    read_token,
    request_password_reset,
    send_invitation,
    set_password,
    update_profile,
)

__all__ = [
    "AccountError",
    "change_email",
    "change_password",
    "confirm_email_change",
    "create_unclaimed",
    "create_user",
    "decide_access_request",
    "find_user",
    "invite",
    "make_token",
    "normalise_email",
    "read_email_change",
    "read_token",
    "request_password_reset",
    "send_invitation",
    "set_password",
    "update_profile",
]
