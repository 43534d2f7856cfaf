"""Shared by the enumeration-timing benchmarks: one timed in-process request, and the report.

The request goes through the whole HTTP pipeline (``auth.handle``: parsing, rate limit, hooks,
endpoint, rendering) without a network, so what is measured is authkit's own work.
"""

from __future__ import annotations

import json
import statistics
import time
from typing import Any

from authkit import AuthKit
from authkit.http import Headers, Request


def timed_post(auth: AuthKit, path: str, body: dict[str, Any], status: int) -> float:
    """Seconds one ``POST {path}`` takes; fails loudly when the status is not ``status``."""
    req = Request("POST", f"/api/auth{path}",
                  headers=Headers({"content-type": "application/json"}),
                  body=json.dumps(body).encode(), client="127.0.0.1")
    started = time.perf_counter()
    res = auth.handle(req)
    elapsed = time.perf_counter() - started
    assert res.status == status, (res.status, res.body)
    return elapsed


def p50_p90_ms(values: list[float]) -> tuple[float, float]:
    """Median and 90th percentile of ``values`` (seconds), in milliseconds."""
    ordered = sorted(values)
    return statistics.median(ordered) * 1000, ordered[int(len(ordered) * 0.9)] * 1000


def report(name: str, baseline: str, times: dict[str, list[float]]) -> None:
    """One line per case: its p50/p90 and its median ratio to ``baseline``'s."""
    base50, _ = p50_p90_ms(times[baseline])
    print(name)
    for case, values in times.items():
        p50, p90 = p50_p90_ms(values)
        print(f"  {case:<40} p50 {p50:7.2f} ms  p90 {p90:7.2f} ms  ratio p50 "
              f"{p50 / base50:4.2f}")
