"""The shape of the code base: one package of the same few files per integration, no import
cycle anywhere in doctor/ or checks/, every runtime dependency used, and start-up commands that
import only what they need."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
import tomllib
from importlib.metadata import packages_distributions
from pathlib import Path

import pytest

from doctor.registry import discover
from tests.helpers import clean_environ

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("doctor", "checks")


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def modules() -> dict[str, Path]:
    return {module_name(p): p for package in PACKAGES for p in (ROOT / package).rglob("*.py")}


def imports_of(path: Path, known: set[str]) -> set[str]:
    """Every module of ours that `path` imports anywhere: top level, in functions, under TYPE_CHECKING."""
    here = module_name(path)
    package = here if path.name == "__init__.py" else here.rsplit(".", 1)[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            for alias in node.names:
                found.add(f"{base}.{alias.name}" if f"{base}.{alias.name}" in known else base)
    return {name for name in found if name in known and name != here}


def import_graph() -> dict[str, set[str]]:
    mods = modules()
    known = set(mods)
    return {name: imports_of(path, known) for name, path in mods.items()}


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import cycle as a list of modules, or None (iterative depth-first search)."""
    state: dict[str, int] = {}
    for start in sorted(graph):
        if state.get(start):
            continue
        stack: list[tuple[str, list[str]]] = [(start, sorted(graph[start]))]
        path = [start]
        state[start] = 1
        while stack:
            node, todo = stack[-1]
            if not todo:
                stack.pop()
                path.pop()
                state[node] = 2
                continue
            nxt = todo.pop()
            if state.get(nxt) == 1:
                return path[path.index(nxt):] + [nxt]
            if not state.get(nxt):
                state[nxt] = 1
                path.append(nxt)
                stack.append((nxt, sorted(graph[nxt])))
    return None


def test_no_import_cycle_anywhere() -> None:
    graph = import_graph()
    assert "checks.redis.probe" in graph and "doctor.cli" in graph
    assert find_cycle(graph) is None, f"import cycle: {' -> '.join(find_cycle(graph) or [])}"


def test_the_cycle_finder_finds_cycles() -> None:
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set(), "c": {"a", "b"}}) is None


def test_every_integration_is_one_package_of_the_same_shape() -> None:
    registry = discover()
    builtin = [c for c in registry.checks if type(c).__module__.startswith("checks.")]
    registered = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["entry-points"]["doctor.checks"]
    assert len(builtin) == len([v for v in registered.values() if v.startswith("checks.")]) >= 12
    for check in builtin:
        folder = ROOT / "checks" / check.id
        assert type(check).__module__ == f"checks.{check.id}", "the Check class lives in the package's __init__"
        for name in ("__init__.py", "const.py", "static.py"):
            assert (folder / name).is_file(), f"checks/{check.id}/{name}"
        assert (folder / "probe.py").is_file() == check.network, f"{check.id}: probe.py iff the check is network"
        assert check.catalog, f"{check.id} declares no finding catalog"
    flat = sorted(p.name for p in (ROOT / "checks").glob("*.py"))
    assert flat == ["__init__.py", "common.py"], f"integration modules outside a package: {flat}"


def test_common_holds_nothing_integration_specific() -> None:
    text = (ROOT / "checks" / "common.py").read_text()
    for name in ("DATABASE_URL", "REDIS_URL", "STRIPE_", "TWILIO_", "AWS_", "GOOGLE_", "MAIL_"):
        assert name not in text, name


def imported_top_levels() -> set[str]:
    names: set[str] = set()
    for path in modules().values():
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                names.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and not node.level and node.module:
                names.add(node.module.split(".")[0])
            elif isinstance(node, ast.Call) and getattr(node.func, "id", "") == "import_in_thread":
                names.update(arg.value.split(".")[0] for arg in node.args if isinstance(arg, ast.Constant))
    return names


def test_every_runtime_dependency_is_imported_by_some_code_path() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    declared = {re.split(r"[\[<>=!~; ]", spec, maxsplit=1)[0].lower().replace("_", "-")
                for spec in project["dependencies"]}
    providers: dict[str, set[str]] = {}
    for top, dists in packages_distributions().items():
        for dist in dists:
            providers.setdefault(dist.lower().replace("_", "-"), set()).add(top)
    used = imported_top_levels()
    unused = sorted(dist for dist in declared if not providers.get(dist, set()) & used)
    assert not unused, f"runtime dependencies nothing imports: {unused}"


LIGHT_COMMANDS = [["--version"], ["list"], ["list", "--findings", "--format", "json"], ["explain", "postgres"],
                  ["explain", "fernet.truncated"]]
HEAVY = ("asyncio", "rich", "cryptography", "httpx", "boto3", "psycopg", "redis", "stripe", "twilio", "aiosmtplib",
         "dataclasses", "typing")


@pytest.mark.parametrize("args", LIGHT_COMMANDS)
def test_light_commands_import_only_what_they_need(args: list[str]) -> None:
    code = (
        "import io, sys, contextlib\nfrom doctor.cli import main\n"
        f"with contextlib.redirect_stdout(io.StringIO()):\n    code = main({args!r})\n"
        f"loaded = sorted({{m.split('.')[0] for m in sys.modules}} & set({HEAVY!r}))\n"
        "loaded += sorted(m for m in sys.modules if m.startswith('checks.') and m.count('.') > 1"
        " and not m.endswith('.const'))\n"
        "loaded += sorted(m for m in sys.modules if m in ('doctor.model', 'doctor.context', 'doctor.config'))\n"
        "print('CODE=%s LOADED=%s' % (code, ','.join(loaded)))\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=clean_environ())
    assert proc.stdout.strip() == "CODE=0 LOADED=", proc.stdout + proc.stderr
