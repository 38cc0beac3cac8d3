"""Blocking calls the deadline can abandon.

`asyncio.to_thread` runs a call in the loop's default executor, and both `asyncio.run()` (at
shutdown) and `concurrent.futures` (at interpreter exit) join that executor's threads: a boto3
read stuck on a peer that trickles bytes kept the process alive long after Ctrl-C or the
deadline. `run_blocking` gives each call its own daemon thread instead; when the awaiting task is
cancelled the thread is left to finish (or not) on its own, and the process exits without it.
"""

from __future__ import annotations

import asyncio
import contextvars
import threading
from collections.abc import Callable, Coroutine
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, TypeVar

T = TypeVar("T")


async def run_blocking(function: Callable[..., T], /, *args: Any, **kwargs: Any) -> T:
    """Run `function(*args, **kwargs)` in a fresh daemon thread and await its result."""
    loop = asyncio.get_running_loop()
    future: asyncio.Future[T] = loop.create_future()
    context = contextvars.copy_context()

    def deliver(result: Any, error: BaseException | None) -> None:
        if future.done():  # the awaiting task was cancelled: nobody wants the outcome
            return
        if error is not None:
            future.set_exception(error)
        else:
            future.set_result(result)

    def work() -> None:
        result: Any = None
        error: BaseException | None = None
        try:
            result = context.run(function, *args, **kwargs)
        except BaseException as exc:  # handed to the awaiting task, whatever it is
            error = exc
        try:
            loop.call_soon_threadsafe(deliver, result, error)
        except RuntimeError:  # the loop is closed: the run ended without this call
            pass

    threading.Thread(target=work, name=f"doctor-{getattr(function, '__name__', 'call')}", daemon=True).start()
    return await future


class _DaemonExecutor(ThreadPoolExecutor):
    """The loop's default executor (getaddrinfo, other libraries' run_in_executor) on daemon threads,
    never joined: a DNS lookup that hangs must not keep an interrupted run alive."""

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:  # type: ignore[override]
        outcome: Future[Any] = Future()
        context = contextvars.copy_context()

        def work() -> None:
            if not outcome.set_running_or_notify_cancel():
                return
            try:
                outcome.set_result(context.run(fn, *args, **kwargs))
            except BaseException as exc:
                outcome.set_exception(exc)

        threading.Thread(target=work, name="doctor-executor", daemon=True).start()
        return outcome

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        """Nothing to wait for: the threads are daemons and are abandoned."""


def run_loop(main: Coroutine[Any, Any, T]) -> T:
    """Run `main` to completion on a fresh event loop whose blocking helpers never delay exit.

    Unlike `asyncio.run`, closing waits for no thread: after Ctrl-C (KeyboardInterrupt raised out
    of here) or the deadline, pending tasks are cancelled and given a moment, then the loop is
    closed whatever a worker thread is still doing.
    """
    loop = asyncio.new_event_loop()
    loop.set_default_executor(_DaemonExecutor(max_workers=1))
    try:
        return loop.run_until_complete(main)
    finally:
        try:
            pending = [task for task in asyncio.all_tasks(loop) if not task.done()]
            for task in pending:
                task.cancel()
            if pending:
                loop.run_until_complete(asyncio.wait(pending, timeout=0.2))
        except BaseException:  # a second Ctrl-C while cleaning up: just close
            pass
        finally:
            asyncio.set_event_loop(None)
            loop.close()
