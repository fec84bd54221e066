"""E-mail: a durable outbox written in the request's transaction, and the worker that sends it."""
