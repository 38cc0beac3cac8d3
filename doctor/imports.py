"""Import a check's SDK off the event loop.

Importing boto3, psycopg or httpx takes a tenth of a second or more of pure CPU. Done inside
`async run()` it blocks the shared event loop, so every other check's network wait stands still
meanwhile. `await import_in_thread("psycopg")` does the import in a daemon thread (one import at
a time, so concurrent imports never contend for module locks) while the loop serves the other
checks, and an interrupted run never waits for it.
"""

from __future__ import annotations

import importlib
import sys
from types import ModuleType
from typing import Any

_lock: Any = None  # one import at a time, so concurrent imports never contend for module locks


def _import_all(names: tuple[str, ...]) -> list[ModuleType]:
    with _lock:
        return [importlib.import_module(name) for name in names]


async def import_in_thread(*names: str) -> list[ModuleType]:
    """Import `names` in a daemon worker thread (modules already loaded return at once)."""
    global _lock
    if all(name in sys.modules for name in names):
        return [sys.modules[name] for name in names]
    import threading

    from doctor.threads import run_blocking

    if _lock is None:
        _lock = threading.Lock()
    return await run_blocking(_import_all, names)
