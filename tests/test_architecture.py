"""The package's layers import downward only, and no module imports itself through others.

Every `import onstream...` of every module (at the top, inside functions and under
TYPE_CHECKING alike) is read from the source with `ast`. A module may import modules of its
own top-level package and of packages in lower layers; never a package of its own layer or
above. `protocol/` in particular knows no resource and no account, and `client/` (the
library for the API's callers) nothing of the server at all.
"""

from __future__ import annotations

import ast
import re
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "src" / "onstream"

LAYERS: list[set[str]] = [
    {
        "config",
        "clock",
        "errors",
        "exits",
        "timezones",
        "zone_names",
        "bidi",
        "accounts",
        "metrics",
        "logs",
        "client",
        "background",
    },
    {"storage"},
    {"protocol", "mail", "media", "janus", "throttle"},
    {"services"},
    {"webhooks"},
    {"users"},
    {"sessions"},
    {"invitees"},
    {"recordings", "files"},
    {"meetings"},
    {"scheduling", "phone"},
    {"workers"},
    {"web", "routes", "monitoring"},
    {"apidocs"},
    {"app", "schema"},
    {"backup"},
    {"server"},
    {"cli", "migrations"},
    {"__main__", "__init__"},
]
RANK = {name: rank for rank, names in enumerate(LAYERS) for name in names}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(SRC.parent).with_suffix("").parts)
    if parts[-1] == "__init__" and len(parts) > 1:
        parts.pop()
    return ".".join(parts)


def imports_of(path: Path) -> Iterator[str]:
    """Every onstream module this file imports, as a dotted name."""
    package = module_name(path).rsplit(".", 1)[0] if path.name != "__init__.py" else None
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            yield from (a.name for a in node.names if a.name.startswith("onstream"))
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = (package or module_name(path)).split(".")
                base = ".".join([*anchor[: len(anchor) - node.level + 1], base]).strip(".")
            if not base.startswith("onstream"):
                continue
            for alias in node.names:
                candidate = f"{base}.{alias.name}"
                yield candidate if _exists(candidate) else base


def _exists(dotted: str) -> bool:
    relative = Path(*dotted.split(".")[1:])
    return (SRC / relative).with_suffix(".py").is_file() or (SRC / relative).is_dir()


def top(dotted: str) -> str:
    parts = dotted.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


GRAPH = {
    module_name(path): set(imports_of(path)) - {module_name(path)} for path in SRC.rglob("*.py")
}


def test_every_package_has_a_layer() -> None:
    unknown = {top(name) for name in GRAPH} - set(RANK)
    assert not unknown, f"put these packages in a layer of LAYERS: {sorted(unknown)}"


def test_imports_point_down() -> None:
    upward = [
        f"{source} -> {target}"
        for source, targets in sorted(GRAPH.items())
        for target in sorted(targets)
        if top(target) != top(source) and RANK[top(target)] >= RANK[top(source)]
    ]
    assert not upward, "imports that point sideways or up:\n" + "\n".join(upward)


def test_protocol_knows_no_resource_or_account() -> None:
    allowed = {"protocol", "config", "clock", "errors", "storage", "timezones", "bidi"}
    leaks = [
        f"{source} -> {target}"
        for source, targets in GRAPH.items()
        if top(source) == "protocol"
        for target in targets
        if top(target) not in allowed
    ]
    assert not leaks, "\n".join(leaks)


def test_the_client_imports_nothing_of_the_server() -> None:
    """`onstream.client` is a library for the API's callers: it must run without the
    server's packages and their dependencies, so it imports only itself."""
    leaks = [
        f"{source} -> {target}"
        for source, targets in GRAPH.items()
        if top(source) == "client"
        for target in targets
        if top(target) != "client"
    ]
    assert not leaks, "\n".join(leaks)


def test_no_import_cycle() -> None:
    cycle = _find_cycle({name: {t for t in ts if t in GRAPH} for name, ts in GRAPH.items()})
    assert cycle is None, " -> ".join(cycle or [])


def _find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """A cycle of the module graph (depth-first, colouring visited modules), or None."""
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                return [*stack[stack.index(nxt) :], nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (found := visit(node)):
            return found
    return None


@pytest.mark.parametrize(
    ("graph", "expected"),
    [
        ({"a": {"b"}, "b": {"a"}}, ["a", "b", "a"]),
        ({"a": {"b"}, "b": {"c"}, "c": set()}, None),
    ],
)
def test_the_cycle_finder_finds_cycles(
    graph: dict[str, set[str]], expected: list[str] | None
) -> None:
    assert _find_cycle(graph) == expected


def test_every_function_and_class_is_used() -> None:
    """A module-level function or class that nothing names is dead code: each is named again
    somewhere in the package, its templates or the benchmarks (tests alone do not keep code
    alive)."""
    places = [*SRC.rglob("*.py"), *(ROOT / "bench").rglob("*.py")]
    places += [p for p in SRC.rglob("*") if p.suffix in {".html", ".mako", ".ini"}]
    text = "\n".join(path.read_text(encoding="utf-8") for path in places)
    names = Counter(re.findall(r"\w+", text))
    unused = [
        f"{path.relative_to(SRC)}:{node.name}"
        for path in sorted(SRC.rglob("*.py"))
        for node in ast.parse(path.read_text(encoding="utf-8")).body
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef)
        and names[node.name] < 2
    ]
    assert unused == [], f"defined and never used: {unused}"
