"""The tests mirror the package folder for folder, so a module's tests are found by its path.

Beside the folders of `src/onstream/`, tests/ has only the suites that cross packages on
purpose (`e2e/`: the contract across resources; `security/`: attacks on every door) and what
the tests run on (`support/`, `fixtures/`).
"""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parent
SRC = ROOT.parent / "src" / "onstream"
ACROSS = {"e2e", "security", "support", "fixtures"}
"""Folders of tests/ that are not a package's: suites across packages, and test tooling."""
UNTESTED_ALONE = {"migrations/versions", "apidocs/static", "mail/templates", "web/templates"}
"""Folders of the package without Python code of their own to test there."""


def _folders(root: Path, *, skip: set[str]) -> set[str]:
    found = set()
    for path in root.rglob("*"):
        relative = path.relative_to(root).as_posix()
        if not path.is_dir() or "__pycache__" in relative or "node_modules" in relative:
            continue
        if any(relative == s or relative.startswith(f"{s}/") for s in skip):
            continue
        found.add(relative)
    return found


def test_every_test_folder_is_a_package_folder_or_a_suite_across_them() -> None:
    tests = _folders(ROOT, skip=ACROSS | {"apidocs/clients"})
    packages = _folders(SRC, skip=UNTESTED_ALONE | {"web/static"})
    assert tests - packages == set(), "test folders that mirror no folder of src/onstream"


def test_every_package_folder_has_its_tests() -> None:
    tests = _folders(ROOT, skip=ACROSS)
    packages = {
        folder
        for folder in _folders(SRC, skip=UNTESTED_ALONE | {"web/static"})
        if any(p.name != "__init__.py" for p in (SRC / folder).glob("*.py"))
    }
    assert packages - tests == set(), "folders of src/onstream without a folder in tests/"
