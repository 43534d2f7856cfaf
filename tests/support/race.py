"""Release several threads at one instant (docs/security.md#testing "Races")."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def run_together(fn: Callable[[], T], count: int) -> list[T]:
    """Call ``fn`` from ``count`` threads released together by a barrier; their results.

    An exception in any thread fails the calling test with it (after all threads ended).
    """
    barrier = threading.Barrier(count)
    results: list[T] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def worker() -> None:
        try:
            barrier.wait()
            got = fn()
            with lock:
                results.append(got)
        except BaseException as exc:  # noqa: BLE001 - re-raised below, in the test thread
            with lock:
                errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]
    return results
