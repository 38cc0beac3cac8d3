"""Import a check's SDK off the event loop.

Importing boto3, psycopg or httpx takes a tenth of a second or more of pure CPU. Done inside
`async run()` it blocks the shared event loop, so every other check's network wait stands still
meanwhile. `await import_in_thread("psycopg")` does the import in one worker thread (one, so
concurrent imports never contend for module locks) while the loop serves the other checks.
"""

from __future__ import annotations

import importlib
import sys
from types import ModuleType
from typing import Any

_executor: Any = None  # a ThreadPoolExecutor, made on first use so `doctor list` never loads asyncio


def _import_all(names: tuple[str, ...]) -> list[ModuleType]:
    return [importlib.import_module(name) for name in names]


async def import_in_thread(*names: str) -> list[ModuleType]:
    """Import `names` in a worker thread (modules already loaded return at once)."""
    global _executor
    if all(name in sys.modules for name in names):
        return [sys.modules[name] for name in names]
    import asyncio
    from concurrent.futures import ThreadPoolExecutor

    if _executor is None:
        _executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="doctor-import")
    return await asyncio.get_running_loop().run_in_executor(_executor, _import_all, names)
