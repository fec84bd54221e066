"""The common client generators take the whole served description, and what they make works.

openapi-python-client (the most used Python generator) makes a client of
`/api/2/openapi.json` with no warning (it skips, with a warning, every call it cannot
describe); the client is installed in a scratch venv, and integration.py drives a whole
integration through it against the real server. openapi-typescript (npm) makes the types of
the same description, and `tsc --noEmit` checks integration.ts against them.

The tools are the ones `scripts/install test` installs, as pinned in clients/:
openapi-python-client in .venv/generator from requirements.txt, the npm packages with
`npm ci` from package-lock.json. A missing or outdated one fails the test, saying so.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.support.server import ServerProcess
from tests.support.smtp import SmtpServer

pytestmark = pytest.mark.live  # the generators read the description from a real `onstream serve`

ROOT = Path(__file__).parents[2]
CLIENTS = Path(__file__).parent / "clients"
PAGE = ROOT / "docs" / "clients.md"
GENERATOR_VENV = ROOT / ".venv" / "generator"
NODE_MODULES = CLIENTS / "node_modules"
LOGIN, PASSWORD = "integrator", "integrator-password-1"
TOOL_SECONDS = 90


def run(*command: str | Path, cwd: Path | None = None, path: Path | None = None) -> str:
    """Run a tool (with `path` first in PATH); its whole output in the failure when it
    fails."""
    env = dict(os.environ)
    if path is not None:
        env["PATH"] = f"{path}{os.pathsep}{env.get('PATH', '')}"
    result = subprocess.run(
        [str(part) for part in command],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=TOOL_SECONDS,
        check=False,
    )
    assert result.returncode == 0, f"{command}:\n{result.stdout[-4000:]}\n{result.stderr[-4000:]}"
    return result.stdout + result.stderr


def snippet(language: str, api: ServerProcess) -> str:
    """The page's example in this language, aimed at the test's server and account."""
    found = re.search(rf"```{language}\n(.*?)```", PAGE.read_text(encoding="utf-8"), re.DOTALL)
    assert found is not None, f"docs/clients.md has no {language} example"
    code = found[1].replace("https://meet.example.com", api.base_url)
    return code.replace("demo", LOGIN).replace("PASSWORD", PASSWORD)


def uv() -> Path:
    found = Path(sys.executable).parent / "uv"
    if not found.exists():
        pytest.fail(f"uv is not in {found.parent}: scripts/install test installs it")
    return found


def installed(folder: Path, pins: Path) -> None:
    """Fail unless `scripts/install test` installed these pins in this folder (its stamp is
    the pins' hash, as the script writes it)."""
    stamp = folder / f".installed-{hashlib.sha256(pins.read_bytes()).hexdigest()[:16]}"
    if not stamp.exists():
        pytest.fail(f"{folder} does not have {pins.name} installed: run scripts/install test")


def python_generator() -> Path:
    """openapi-python-client, in the venv of its own that `scripts/install test` makes."""
    installed(GENERATOR_VENV, CLIENTS / "requirements.txt")
    return GENERATOR_VENV / "bin/openapi-python-client"


def node_tools() -> Path:
    """openapi-typescript, openapi-fetch and TypeScript, as package-lock.json pins them."""
    if shutil.which("node") is None:
        pytest.fail("node is not installed: scripts/system-deps test installs it")
    installed(NODE_MODULES, CLIENTS / "package-lock.json")
    return NODE_MODULES / ".bin"


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory, smtp: SmtpServer) -> Iterator[ServerProcess]:
    """A server of this module's own on SQLite: the generators need the description, not
    the suite's database, so this runs once, not again in the PostgreSQL pass."""
    workdir = tmp_path_factory.mktemp("clients")
    server = ServerProcess(
        workdir=workdir,
        database_url=f"sqlite:///{workdir / 'onstream.db'}",
        extra_env=smtp.env(),
    )
    server.add_account(LOGIN, PASSWORD)
    server.start()
    yield server
    server.stop()


def test_the_python_client_runs_an_integration(
    api: ServerProcess, smtp: SmtpServer, tmp_path: Path
) -> None:
    generator = python_generator()
    said = run(
        generator,
        "generate",
        "--url",
        f"{api.base_url}/api/2/openapi.json",
        "--meta",
        "uv",
        "--output-path",
        tmp_path / "client",
        "--fail-on-warning",
        cwd=tmp_path,
        path=generator.parent,  # the ruff it formats the client with
    )
    assert "warning" not in said.lower(), said
    scratch = tmp_path / "venv"
    run(uv(), "venv", "--quiet", "--python", sys.executable, scratch)
    run(uv(), "pip", "install", "--quiet", "--python", scratch / "bin/python", tmp_path / "client")

    seen = json.loads(
        run(scratch / "bin/python", CLIENTS / "integration.py", api.base_url, LOGIN, PASSWORD)
    )

    first, second = seen["created"]
    assert seen["invitees"] == {
        "participants": ["ana.integrator@example.com"],
        "observers": ["bea.integrator@example.com"],
    }
    assert seen["page"] == [second]
    assert seen["total"] == "2"
    assert 'rel="next"' in seen["next"]
    assert seen["read"] == {"sessions": [{"id": first, "topic": "Planning"}]}
    assert seen["changed"] == "Planning, moved"
    assert seen["gone"] == 410
    for address in ("ana.integrator@example.com", "bea.integrator@example.com"):
        smtp.sink.wait_for(lambda m, to=address: to in str(m["To"]), timeout=60)
    with api.api_client(LOGIN, PASSWORD) as own:
        listed = own.get("sessions/format/json").json()["sessions"]
    assert [s["id"] for s in listed] == [second]

    documented = run(scratch / "bin/python", "-c", snippet("python", api)).splitlines()
    assert documented == ["2 ['Retro', 'Planning']", "Planning"]


def test_the_typescript_types_check_an_integration(api: ServerProcess, tmp_path: Path) -> None:
    tools = node_tools()
    said = run(
        tools / "openapi-typescript",
        f"{api.base_url}/api/2/openapi.json",
        "--output",
        # A .ts file, not a .d.ts: tsc checks it as code, where skipLibCheck (below) would
        # skip a declaration file along with the libraries.
        tmp_path / "api.ts",
    )
    assert "warn" not in said.lower(), said
    shutil.copy(CLIENTS / "integration.ts", tmp_path)
    documented = snippet("typescript", api).replace('"./onstream"', '"./api"')
    (tmp_path / "documented.ts").write_text(documented)
    config = {
        "compilerOptions": {
            "strict": True,
            # The libraries' own declarations (the DOM's, openapi-fetch's) are not checked:
            # they are not ours, and checking them made tsc take 4.5 s of CPU, not 1.7 s.
            "skipLibCheck": True,
            "noEmit": True,
            "target": "es2022",
            "lib": ["es2022", "dom"],
            "module": "esnext",
            "moduleResolution": "bundler",
            "types": [],
            "paths": {"openapi-fetch": [str(NODE_MODULES / "openapi-fetch")]},
        },
        "files": ["integration.ts", "documented.ts"],
    }
    (tmp_path / "tsconfig.json").write_text(json.dumps(config))
    run(tools / "tsc", "--project", tmp_path / "tsconfig.json", cwd=tmp_path)
