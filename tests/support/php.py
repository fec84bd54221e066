"""Run code in the real PHP interpreter: PHP's own behaviour is the contract for some formats."""

from __future__ import annotations

import shutil
import subprocess


def php_binary() -> str:
    """The `php` executable; its absence is a failure, never a skip (.ci/run installs it)."""
    path = shutil.which("php")
    if path is None:
        raise AssertionError("php is not installed: run `apt-get install php-cli php-curl php-xml`")
    return path


def run_php(code: str, *, stdin: str = "", timeout: float = 60) -> str:
    """Run `code` (without the `<?php` tag) and return what it printed; fail on any error."""
    result = subprocess.run(
        [php_binary(), "-d", "display_errors=stderr", "-d", "error_reporting=E_ALL", "-r", code],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if result.returncode != 0 or result.stderr.strip():
        raise AssertionError(f"PHP failed ({result.returncode}):\n{result.stderr}\n{result.stdout}")
    return result.stdout
