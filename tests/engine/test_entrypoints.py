"""The light entry-point reader agrees with importlib.metadata, the oracle, on real environments."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import clean_environ

PLUGIN_DIST = Path(__file__).parent / "plugin_dist"
COMPARE = """
import json, sys
from importlib.metadata import entry_points as oracle
from doctor.entrypoints import entry_points
out = {}
for group in sys.argv[1:]:
    out[group] = [sorted((e.name, e.value) for e in oracle(group=group)),
                  sorted((e.name, e.value) for e in entry_points(group))]
print(json.dumps(out))
"""
GROUPS = ("doctor.checks", "doctor.commands", "console_scripts", "pytest11")


@pytest.mark.parametrize("extra_path", [None, str(PLUGIN_DIST)])
def test_same_entry_points_as_importlib_metadata(extra_path: str | None, tmp_path: Path) -> None:
    env = clean_environ(**({"PYTHONPATH": extra_path} if extra_path else {}))
    proc = subprocess.run([sys.executable, "-c", COMPARE, *GROUPS], capture_output=True, text=True, env=env,
                          cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    for group, (expected, found) in json.loads(proc.stdout).items():
        assert found == expected, group
    assert json.loads(proc.stdout)["doctor.checks"][0], "the built-in checks are registered"


def test_a_shadowed_distribution_is_read_once(tmp_path: Path) -> None:
    """Two copies of one distribution on sys.path: the first wins, as in importlib.metadata."""
    for folder, value in (("first", "first_mod:A"), ("second", "second_mod:B")):
        info = tmp_path / folder / "Shadow_Pkg-1.0.dist-info"
        info.mkdir(parents=True)
        (info / "METADATA").write_text("Metadata-Version: 2.1\nName: shadow-pkg\nVersion: 1.0\n")
        (info / "entry_points.txt").write_text(f"[doctor.checks]\nshadow = {value}\n")
    env = clean_environ(PYTHONPATH=f"{tmp_path / 'first'}:{tmp_path / 'second'}")
    proc = subprocess.run([sys.executable, "-c", COMPARE, "doctor.checks"], capture_output=True, text=True, env=env)
    expected, found = json.loads(proc.stdout)["doctor.checks"]
    assert found == expected and ["shadow", "first_mod:A"] in found


def test_load_resolves_module_attribute_and_ignores_extras() -> None:
    from doctor.entrypoints import EntryPoint

    assert EntryPoint("x", "json:dumps [fast, safe]", "g", "d").load() is json.dumps
    assert EntryPoint("x", "os.path:join", "g", "d").load() is __import__("os").path.join
    assert EntryPoint("x", "json [extra]", "g", "d").load() is json
