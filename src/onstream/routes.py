"""Every API resource and the handler of each HTTP method it answers: the one route table."""

from __future__ import annotations

from onstream.files import routes as files
from onstream.invitees import routes as invitees
from onstream.meetings import job_routes as recording_jobs
from onstream.protocol.resources import Resource
from onstream.recordings import routes as recordings
from onstream.scheduling import reading
from onstream.scheduling import routes as scheduling
from onstream.scheduling import series_routes as series
from onstream.users import routes as users
from onstream.webhooks import routes as webhooks

RESOURCES: dict[str, Resource] = {
    r.name: r
    for r in (
        Resource("authverify", {"GET": users.authverify, "PUT": users.authverify}),
        Resource("user", {"GET": users.get_user, "PUT": users.put_user, "POST": users.post_user}),
        Resource(
            "calendar_feed",
            {
                "GET": users.get_calendar_feed,
                "POST": users.post_calendar_feed,
                "DELETE": users.delete_calendar_feed,
            },
        ),
        Resource(
            "session",
            {
                "GET": reading.get_session,
                "PUT": scheduling.put_session,
                "POST": scheduling.post_session,
                "DELETE": scheduling.delete_session,
            },
        ),
        Resource("sessions", {"GET": reading.get_sessions}),
        Resource(
            "series",
            {"GET": series.get_series, "POST": series.post_series, "DELETE": series.delete_series},
        ),
        Resource(
            "invitee",
            {
                "PUT": invitees.put_invitee,
                "POST": invitees.post_invitee,
                "DELETE": scheduling.delete_invitee,
            },
        ),
        Resource("invitees", {"GET": invitees.get_invitees}),
        Resource(
            "recording",
            {
                "GET": recordings.get_recording,
                "POST": recordings.post_recording,
                "DELETE": recordings.delete_recording,
            },
        ),
        Resource("recordings", {"GET": recordings.get_recordings}),
        Resource("recording_jobs", {"GET": recording_jobs.get_recording_jobs}),
        Resource(
            "file", {"GET": files.get_file, "PUT": files.put_file, "DELETE": files.delete_file}
        ),
        Resource("files", {"GET": files.get_files}),
        Resource("file_in_session", {"PUT": files.put_file_in_session}),
        Resource(
            "webhook",
            {
                "GET": webhooks.get_webhook,
                "PUT": webhooks.put_webhook,
                "POST": webhooks.post_webhook,
                "DELETE": webhooks.delete_webhook,
            },
        ),
        Resource("webhooks", {"GET": webhooks.get_webhooks}),
        Resource("webhook_deliveries", {"GET": webhooks.get_webhook_deliveries}),
        Resource("webhook_delivery", {"POST": webhooks.post_webhook_delivery}),
    )
}
