"""The states of an outbox message (a module of its own: the command line lists them)."""

PENDING, SENT, FAILED = "pending", "sent", "failed"
STATUSES = (PENDING, SENT, FAILED)
