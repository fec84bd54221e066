"""The documentation stays true to the tree: the map names every module, links lead somewhere.

`docs/architecture.md` has one line per module of `src/onstream/` (package `__init__.py`
files and the Alembic migrations' versions aside), written `` - `path` — what it is for ``.
A module added without its line, or a line left behind by a module that moved, fails here
with the paths to add or remove; its table of layers must be the one
`tests/test_architecture.py` enforces. Every relative link and image of README.md,
SECURITY.md and `docs/*.md` must point at a file that exists, and a `#fragment` into a
Markdown page at one of its headings (as GitHub makes their anchors), so splitting or
renaming a page cannot leave a reader at a dead end.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import cache
from itertools import pairwise
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest
from markdown_it import MarkdownIt
from markdown_it.token import Token

from tests.test_architecture import LAYERS

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "src" / "onstream"
MAP = ROOT / "docs" / "architecture.md"
PAGES = [ROOT / "README.md", ROOT / "SECURITY.md", *sorted((ROOT / "docs").glob("*.md"))]
MAP_LINE = re.compile(r"^- `([^`]+\.py)` — ", re.MULTILINE)
LAYER_ROW = re.compile(r"^\| +(\d+) \| (.+) \|$", re.MULTILINE)
MARKDOWN = MarkdownIt("commonmark").enable("table")


def modules() -> set[str]:
    """Every module the map must name, relative to `src/onstream/`."""
    found = set()
    for path in SRC.rglob("*.py"):
        relative = path.relative_to(SRC)
        if path.name == "__init__.py" or relative.parts[:2] == ("migrations", "versions"):
            continue
        found.add(relative.as_posix())
    return found


def mapped() -> set[str]:
    """The modules the map names, one per line."""
    return set(MAP_LINE.findall(MAP.read_text(encoding="utf-8")))


def test_the_map_names_every_module() -> None:
    missing = sorted(modules() - mapped())
    assert not missing, f"add a line to docs/architecture.md for each of {missing}"


def test_the_map_names_no_module_that_is_gone() -> None:
    gone = sorted(mapped() - modules())
    assert not gone, f"docs/architecture.md names modules that do not exist: {gone}"


def test_the_layers_are_those_the_architecture_test_enforces() -> None:
    rows = LAYER_ROW.findall(MAP.read_text(encoding="utf-8"))
    documented = [set(re.findall(r"`(\w+)`", cell)) for _, cell in rows]
    assert [int(rank) for rank, _ in rows] == list(range(len(rows)))
    assert documented == LAYERS, "docs/architecture.md's table of layers differs from LAYERS"


def tokens(page: Path) -> list[Token]:
    return MARKDOWN.parse(page.read_text(encoding="utf-8"))


def targets(page: Path) -> Iterator[str]:
    """The href of every link and the src of every image, outside code."""
    for block in tokens(page):
        for token in block.children or ():
            if token.type == "link_open":
                yield str(token.attrs["href"])
            elif token.type == "image":
                yield str(token.attrs["src"])


def slug(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces as hyphens."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


@cache
def anchors(page: Path) -> frozenset[str]:
    """The anchors of a page's headings; a repeated heading gets `-1`, `-2`, ... after it."""
    seen: dict[str, int] = {}
    found = set()
    blocks = tokens(page)
    for opening, inline in pairwise(blocks):
        if opening.type == "heading_open":
            name = slug(inline.content)
            repeats = seen[name] = seen.get(name, -1) + 1
            found.add(f"{name}-{repeats}" if repeats else name)
    return frozenset(found)


def broken_links(page: Path) -> Iterator[str]:
    for target in targets(page):
        parts = urlsplit(target)
        if parts.scheme or parts.netloc:
            continue  # a web address: not this repository's to check
        destination = (page.parent / unquote(parts.path)).resolve() if parts.path else page
        if not destination.exists():
            yield f"{target} (no such file)"
        elif (
            parts.fragment
            and destination.suffix == ".md"
            and unquote(parts.fragment) not in anchors(destination)
        ):
            yield f"{target} (no heading #{parts.fragment} in {destination.name})"


@pytest.mark.parametrize("page", PAGES, ids=lambda page: page.relative_to(ROOT).as_posix())
def test_every_relative_link_leads_somewhere(page: Path) -> None:
    broken = list(broken_links(page))
    assert not broken, f"{page.relative_to(ROOT)} links to {broken}"


def test_the_anchors_are_those_github_makes() -> None:
    assert slug("HTTP Digest, for API tokens only") == "http-digest-for-api-tokens-only"
    assert slug("`storage/`: the database") == "storage-the-database"
    assert slug("The life of a request") == "the-life-of-a-request"


def test_the_readme_map_names_every_top_level_module_and_package() -> None:
    """README.md's "The code" names each module and package at the top of `src/onstream/`
    (the one-line-a-module map is docs/architecture.md's)."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## The code", 1)[1]
    words = set(re.findall(r"[\w.]+/?", section))
    entries = {
        path.name + ("/" if path.is_dir() else "")
        for path in SRC.iterdir()
        if path.name not in {"__init__.py", "__main__.py", "__pycache__", "py.typed"}
    }
    missing = sorted(entries - words)
    assert not missing, f"name these in README.md's map of the code: {missing}"
