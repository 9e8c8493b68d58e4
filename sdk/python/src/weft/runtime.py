"""The runtime capability: where the attempt runs.

``ctx.worker()``, over the host call ``worker``; ``FakeHost`` answers ``worker_info``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ._capability import Capability, bindings

__all__ = ["WorkerInfo"]

cap = Capability(__name__)
_runtime = bindings("runtime")


@dataclass(frozen=True)
class WorkerInfo:
    """Where the attempt runs."""

    worker_id: str
    hostname: str
    queue: str


@cap.context
def worker(self: Any) -> WorkerInfo:
    """The worker and queue running this attempt."""
    return self._host.worker()


@cap.guest("worker")
def _guest_worker() -> WorkerInfo:
    """The worker and queue running the attempt."""
    w = _runtime.worker()
    return WorkerInfo(w.worker_id, w.hostname, w.queue)


cap.fake_state(worker_info=lambda: WorkerInfo("test-worker", "localhost", "default"))


@cap.fake("worker")
def _fake_worker(fake: Any) -> WorkerInfo:
    return fake.worker_info
