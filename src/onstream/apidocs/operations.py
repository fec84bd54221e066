"""The name and group of every API call in the OpenAPI description (`operationId`, tag).

Client generators make a function of each `operationId` and a module of each tag, so these
are the names an integrator's generated client calls: they follow `onstream.client`
(`create_session`, `invite`, `share_file`) and read as a verb and a noun where it has only a
noun (`get_session`, `list_sessions`). Left to a generator, the names came out of the paths
(`get_session_by_id`, a tag `serie`).
"""

from __future__ import annotations

from onstream.protocol.openapi import Naming

TAGS = {
    "account": "The credentials, the account and its people, the calendar feed",
    "sessions": "Sessions: scheduled meetings with their invitees",
    "series": "Recurring series of sessions",
    "invitees": "The people invited to a session",
    "recordings": "Recordings of sessions",
    "files": "The media library and the files shared in sessions",
    "webhooks": "Webhooks and their deliveries",
}
"""Every tag, in the order a reader meets them."""

OPERATIONS: dict[tuple[str, str], tuple[str, str]] = {
    ("GET", "authverify"): ("authverify", "account"),
    ("PUT", "authverify"): ("authverify_by_put", "account"),
    ("GET", "user"): ("get_user", "account"),
    ("PUT", "user"): ("add_user", "account"),
    ("POST", "user"): ("update_user", "account"),
    ("GET", "calendar_feed"): ("get_calendar_feed", "account"),
    ("POST", "calendar_feed"): ("renew_calendar_feed", "account"),
    ("DELETE", "calendar_feed"): ("delete_calendar_feed", "account"),
    ("GET", "session"): ("get_session", "sessions"),
    ("PUT", "session"): ("create_session", "sessions"),
    ("POST", "session"): ("update_session", "sessions"),
    ("DELETE", "session"): ("delete_session", "sessions"),
    ("GET", "sessions"): ("list_sessions", "sessions"),
    ("GET", "series"): ("get_series", "series"),
    ("POST", "series"): ("update_series", "series"),
    ("DELETE", "series"): ("delete_series", "series"),
    ("PUT", "invitee"): ("invite", "invitees"),
    ("POST", "invitee"): ("update_invitee", "invitees"),
    ("DELETE", "invitee"): ("uninvite", "invitees"),
    ("GET", "invitees"): ("list_invitees", "invitees"),
    ("GET", "recording"): ("get_recording", "recordings"),
    ("POST", "recording"): ("update_recording", "recordings"),
    ("DELETE", "recording"): ("delete_recording", "recordings"),
    ("GET", "recordings"): ("list_recordings", "recordings"),
    ("GET", "recording_jobs"): ("list_recording_jobs", "recordings"),
    ("GET", "file"): ("get_file", "files"),
    ("PUT", "file"): ("add_file", "files"),
    ("DELETE", "file"): ("delete_file", "files"),
    ("GET", "files"): ("list_files", "files"),
    ("PUT", "file_in_session"): ("share_file", "files"),
    ("GET", "webhook"): ("get_webhook", "webhooks"),
    ("PUT", "webhook"): ("create_webhook", "webhooks"),
    ("POST", "webhook"): ("update_webhook", "webhooks"),
    ("DELETE", "webhook"): ("delete_webhook", "webhooks"),
    ("GET", "webhooks"): ("list_webhooks", "webhooks"),
    ("GET", "webhook_deliveries"): ("list_webhook_deliveries", "webhooks"),
    ("POST", "webhook_delivery"): ("redeliver", "webhooks"),
}
"""(method, resource) → (operationId, tag). The same call addressed by path
(`/session/id/{id}`) is the operationId with `_by_path`."""

NAMING = Naming(operations=OPERATIONS, tags=TAGS)
