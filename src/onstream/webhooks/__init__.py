"""Webhooks: an account's subscriptions to events, their durable outbox and its delivery.

Events are written to `webhook_deliveries` in the transaction of the change they report
(`outbox.emit`), one row per subscription, and a worker (`worker.WebhookWorker`) POSTs them,
signed, to the subscriber's URL, in order per object, retrying with back-off until the
receiver accepts.
"""
