"""The states of an outbox message (a module of its own: the command line lists them)."""

PENDING, SENT, LOGGED, FAILED = "pending", "sent", "logged", "failed"
STATUSES = (PENDING, SENT, LOGGED, FAILED)
"""`logged`: handed to the server's log instead of a relay (no ONSTREAM_SMTP_HOST), so an
operator never mistakes it for delivered mail."""
DONE = (SENT, LOGGED)
