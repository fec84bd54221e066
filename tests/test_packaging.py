"""The wheel is all an operator needs: built from a copy of the source, installed in a fresh
virtual environment outside the source tree, it answers `--version` and serves `/health`
and `/ready` (so its templates, static files and migrations came along)."""

from __future__ import annotations

import shutil
import subprocess
import sys
import sysconfig
import venv
import zipfile
from pathlib import Path

import httpx
import pytest

from tests.support.server import free_port
from tests.support.waiting import wait_until

REPO = Path(__file__).resolve().parent.parent
PACKAGED = (
    "onstream/web/templates/lobby.html",
    "onstream/web/static/room.js",
    "onstream/apidocs/static/swagger-ui.css",
    "onstream/mail/templates/invitation/body.html",
    "onstream/migrations/env.py",
    "onstream/migrations/versions/0001_users.py",
)


def run(*argv: str | Path, cwd: Path, **options: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(a) for a in argv],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        **options,  # type: ignore[arg-type]
    )


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The `onstream` script of a fresh venv holding only the wheel; its dependencies come
    from the test environment's site-packages (offline, no second download)."""
    work = tmp_path_factory.mktemp("wheel")
    source = work / "source"
    source.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(REPO / name, source / name)
    shutil.copytree(REPO / "src", source / "src", ignore=shutil.ignore_patterns("__pycache__"))
    built = run(
        sys.executable,
        "-m",
        "pip",
        "wheel",
        "--no-deps",
        "--no-build-isolation",
        "--no-index",
        "-w",
        work / "dist",
        source,
        cwd=work,
    )
    assert built.returncode == 0, built.stderr
    [wheel] = (work / "dist").glob("onstream-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    missing = [name for name in PACKAGED if name not in names]
    assert missing == [], f"not in the wheel: {missing}"

    env_dir = work / "venv"
    venv.EnvBuilder(with_pip=True).create(env_dir)
    pip = run(
        env_dir / "bin" / "python",
        "-m",
        "pip",
        "install",
        "--no-deps",
        "--no-index",
        "--find-links",
        work / "dist",
        "onstream",
        cwd=work,
    )
    assert pip.returncode == 0, pip.stderr
    site = Path(
        run(
            env_dir / "bin" / "python",
            "-c",
            "import sysconfig; print(sysconfig.get_path('purelib'))",
            cwd=work,
        ).stdout.strip()
    )
    # the dependencies: this environment's packages, after the venv's own (so the wheel's
    # onstream wins over the source tree's editable one, whose .pth is not run from here)
    (site / "zz_test_dependencies.pth").write_text(sysconfig.get_path("purelib") + "\n")
    return env_dir / "bin" / "onstream"


def test_the_installed_command_tells_its_version(installed: Path, tmp_path: Path) -> None:
    result = run(installed, "--version", cwd=tmp_path)
    assert (result.returncode, result.stdout) == (0, "onstream 0.1.0\n")


def test_the_installed_server_serves(installed: Path, tmp_path: Path) -> None:
    port = free_port()
    code = run(
        installed.parent / "python",
        "-c",
        "import onstream; print(onstream.__file__)",
        cwd=tmp_path,
    ).stdout
    assert str(REPO) not in code  # the wheel's copy, not the source tree's
    env = {
        "PATH": "/usr/bin:/bin",
        "ONSTREAM_DATABASE_URL": f"sqlite:///{tmp_path / 'onstream.db'}",
        "ONSTREAM_LOG_LEVEL": "warning",
    }
    with (tmp_path / "server.log").open("w") as log:
        server = subprocess.Popen(
            [installed, "serve", "--port", str(port)],
            cwd=tmp_path,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:

        def answer() -> httpx.Response | None:
            assert server.poll() is None, (tmp_path / "server.log").read_text()
            try:
                return httpx.get(f"http://127.0.0.1:{port}/health", timeout=2)
            except httpx.TransportError:
                return None

        health = wait_until(answer, "the installed server to answer", 120)
        assert (health.status_code, health.text) == (200, "ok")
        ready = httpx.get(f"http://127.0.0.1:{port}/ready", timeout=10)
        assert (ready.status_code, ready.json()) == (200, {"ready": True})
        docs = httpx.get(f"http://127.0.0.1:{port}/docs", timeout=10)
        assert docs.status_code == 200
    finally:
        server.terminate()
        server.wait(timeout=30)


def test_the_container_and_the_unit_use_what_the_project_ships() -> None:
    """Every path the Containerfile copies or runs exists, and both run `onstream serve`."""
    containerfile = (REPO / "Containerfile").read_text()
    for line in containerfile.splitlines():
        if line.startswith("COPY "):
            for source in line.split()[1:-1]:
                assert (REPO / source).exists(), source
    assert "FROM debian:" in containerfile
    assert "scripts/system-deps room" in containerfile
    assert "scripts/install" in containerfile
    assert 'ENTRYPOINT ["onstream"]' in containerfile
    assert 'CMD ["serve"' in containerfile
    unit = (REPO / "deploy" / "onstream.service").read_text()
    assert "ExecStart=/opt/onstream/.venv/bin/onstream serve" in unit
    assert "EnvironmentFile=/etc/onstream/onstream.env" in unit
    assert (REPO / "deploy" / "onstream.env").is_file()
