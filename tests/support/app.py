"""The server's application in the test process: `create_app(settings)` with its lifespan (and
so its mail worker) running on a background event loop, reached through httpx's ASGI
transport. The same application `onstream serve` hands to uvicorn, without the socket."""

from __future__ import annotations

import asyncio
import contextlib
import io
import os
import subprocess
from collections.abc import Iterator, Mapping
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from typing import Any

import httpx
import uvicorn
from starlette.applications import Starlette

from onstream.app import create_app
from onstream.cli.main import main as cli_main
from onstream.config import load_settings
from onstream.storage.database import Database, open_database, transaction
from tests.support.loop import LoopThread
from tests.support.server import Server, T, Work
from tests.support.waiting import wait_until


class AppTransport(httpx.BaseTransport):
    """A synchronous httpx transport that hands each request to the server's application on
    its loop (the application running now: a client outlives a restart, as over a socket).

    Requests from several threads run concurrently on that loop, as on a one-process server.
    """

    def __init__(self, server: AppServer) -> None:
        self._server = server

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        app = self._server.app
        if app is None:
            raise httpx.ConnectError("the application is not running", request=request)
        asgi = httpx.ASGITransport(app=app, raise_app_exceptions=False)

        async def exchange() -> tuple[int, list[tuple[bytes, bytes]], bytes]:
            response = await asgi.handle_async_request(request)
            body = b"".join([part async for part in response.stream])  # type: ignore[union-attr]
            return response.status_code, response.headers.raw, body

        status, headers, body = self._server.loop.run(exchange())
        return httpx.Response(status, headers=headers, stream=httpx.ByteStream(body))


@dataclass
class AppServer(Server):
    """The application of one `onstream serve`, started and stopped in this process."""

    loop: LoopThread = field(default_factory=LoopThread)
    app: Starlette | None = None
    database: Database | None = None
    """The running application's database (`create_app` is handed it)."""
    _lifespan: AbstractAsyncContextManager[Any] | None = None

    @property
    def settings_env(self) -> dict[str, str]:
        """The ONSTREAM_* variables this server's settings are read from. The media store is
        the working directory's `media`, as for a server started there."""
        env = {"ONSTREAM_MEDIA_DIR": str(self.workdir / "media")}
        env.update({k: v for k, v in self.env.items() if k.startswith("ONSTREAM_")})
        return env

    def start(self) -> AppServer:
        """Migrate, build the application and run its lifespan's startup (the mail worker)."""
        self.migrate()
        settings = load_settings(self.settings_env, env_file=None).with_listen(
            host="127.0.0.1", port=self.port
        )

        async def startup() -> tuple[Starlette, AbstractAsyncContextManager[Any], Database]:
            database = open_database(settings.database_url)  # the lifespan disposes of it
            app = create_app(settings, database=database)
            lifespan = app.router.lifespan_context(app)
            await lifespan.__aenter__()
            return app, lifespan, database

        self.app, self._lifespan, self.database = self.loop.run(startup())
        return self

    def stop(self) -> None:
        """Run the lifespan's shutdown: the mail worker stops, the database is closed."""
        if self._lifespan is not None:
            lifespan, self._lifespan, self.app, self.database = self._lifespan, None, None, None
            self.loop.run(lifespan.__aexit__(None, None, None))

    def close(self) -> None:
        """Stop, and end the event loop's thread."""
        self.stop()
        self.loop.close()

    @contextlib.contextmanager
    def listening(self) -> Iterator[str]:
        """The running application on a real socket at `base_url` (uvicorn on this server's
        own loop), for a browser: the server's clock is still this process's, so a test
        moves it (`tests.support.clock`) for Chromium's pages too."""
        assert self.app is not None, "start the application first"
        config = uvicorn.Config(
            self.app, host="127.0.0.1", port=self.port, lifespan="off", log_level="warning"
        )
        server = uvicorn.Server(config)
        serving = asyncio.run_coroutine_threadsafe(server.serve(), self.loop.loop)
        wait_until(lambda: server.started or serving.done(), "uvicorn to listen", 30)
        if serving.done():
            serving.result()  # it failed: raise its error
        try:
            yield self.base_url
        finally:
            server.should_exit = True
            serving.result(30)

    def client(self, path: str = "", **options: Any) -> httpx.Client:
        options.setdefault("timeout", 10)
        return httpx.Client(base_url=self.base_url + path, transport=AppTransport(self), **options)

    def run(self, work: Work[T], *, write: bool = True) -> T:
        """Run `work` in one transaction of the application's own database (or of a database
        opened for the purpose while the application is stopped)."""
        self.migrate()
        database = self.database
        if database is None:
            return super().run(work, write=write)

        async def go() -> T:
            async with transaction(database, write=write) as conn:
                return await work(conn)

        return self.loop.run(go())

    def cli(self, *args: str, input: str | None = None) -> subprocess.CompletedProcess[str]:
        """`onstream ARGS` run by the command's own `main` in this process, with this server's
        environment and working directory (no interpreter start-up per command)."""
        assert input is None, "the prompts read the terminal: use ServerProcess.cli for them"
        out, err = io.StringIO(), io.StringIO()
        with (
            _environment(self.settings_env),
            contextlib.chdir(self.workdir),
            contextlib.redirect_stdout(out),
            contextlib.redirect_stderr(err),
        ):
            try:
                code = cli_main(list(args))
            except SystemExit as exc:  # argparse's usage errors
                code = exc.code if isinstance(exc.code, int) else 1
        return subprocess.CompletedProcess(
            ["onstream", *args], code, out.getvalue(), err.getvalue()
        )


@contextlib.contextmanager
def _environment(values: Mapping[str, str]) -> Iterator[None]:
    """os.environ with these ONSTREAM_* variables instead of any others, for one command."""
    saved = {k: v for k, v in os.environ.items() if k.startswith("ONSTREAM_")}
    for name in saved:
        del os.environ[name]
    os.environ.update(values)
    try:
        yield
    finally:
        for name in values:
            os.environ.pop(name, None)
        os.environ.update(saved)
