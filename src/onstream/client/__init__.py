"""A Python client for the Onstream API v2, on httpx.

    from onstream.client import Client

    with Client("http://127.0.0.1:8000", "demo", "PASSWORD") as api:
        created = api.create_session(topic="Demo", start_time="2030-09-10 16:00", duration=45)
        for session in api.sessions():
            print(session.id, session.topic)

`AsyncClient` has the same methods, awaited. Errors are `onstream.client.errors`.
It imports nothing else of the server, so it works wherever httpx does.
"""

from onstream.client.asynchronous import AsyncClient
from onstream.client.errors import (
    ApiError,
    BadRequest,
    Conflict,
    Gone,
    NotFound,
    OnstreamError,
    ServerError,
    TooLarge,
    TransportError,
    Unauthorized,
)
from onstream.client.models import File, Invitee, Message, Recording, Session, User
from onstream.client.sync import Client

__all__ = [
    "ApiError",
    "AsyncClient",
    "BadRequest",
    "Client",
    "Conflict",
    "File",
    "Gone",
    "Invitee",
    "Message",
    "NotFound",
    "OnstreamError",
    "Recording",
    "ServerError",
    "Session",
    "TooLarge",
    "TransportError",
    "Unauthorized",
    "User",
]
