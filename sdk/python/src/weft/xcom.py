"""The XCom capability: small JSON values passed between the tasks of one run.

``ctx.xcom_pull(task_id, key)`` and ``ctx.xcom_push(key, value)``; the host calls
``xcom_pull`` and ``xcom_push`` carry the values as JSON bytes. ``FakeHost`` answers pulls from
``xcom`` (``(task_id, key)``, key None for an output, to a JSON value) and keeps what the task
pushed in ``pushed`` (by key).
"""

from __future__ import annotations

import json
from typing import Any

from ._capability import Capability, Err, bindings, case
from .context import _MISSING, decode, encode
from .errors import PERMANENT, RETRYABLE, XComError

cap = Capability(__name__)
_xcom = bindings("xcom")
_types = bindings("weft_dag_types")


@cap.context
def xcom_pull(self: Any, task_id: str, key: str | None = None, default: Any = _MISSING) -> Any:
    """The value upstream task ``task_id`` pushed under ``key``, or its output when
    ``key`` is None; without ``default``, no value fails the task permanently."""
    what = f"XCom `{key or 'return_value'}` of `{task_id}`"
    data = self._host.xcom_pull(task_id, key)
    if data is None:
        if default is _MISSING:
            raise XComError(f"{what} has no value", kind=PERMANENT)
        return default
    return decode(data, what)


@cap.context
def xcom_push(self: Any, key: str, value: Any) -> None:
    """Push ``value`` (JSON) under ``key`` for this task instance."""
    self._host.xcom_push(key, encode(value, f"XCom `{key}`"))


def _error(error: Any, action: str) -> XComError:
    """The SDK's error for a WIT ``xcom-error``: only an unreachable store is worth a retry."""
    kind = RETRYABLE if isinstance(error, _types.XcomError_Unavailable) else PERMANENT
    return XComError(f"{action} failed: {case(error, 'XcomError_')}: {error.value}", kind=kind)


@cap.guest("xcom_push")
def _guest_push(key: str, value: bytes) -> None:
    """Push ``value`` under ``key`` for the calling task instance."""
    try:
        _xcom.push(key, value)
    except Err as error:
        raise _error(error.value, f"pushing XCom `{key}`") from error


@cap.guest("xcom_pull")
def _guest_pull(task_id: str, key: str | None) -> bytes | None:
    """The value ``task_id`` pushed under ``key`` (its output when None), if any."""
    try:
        return _xcom.pull(task_id, key)
    except Err as error:
        raise _error(error.value, f"pulling XCom `{key or 'return_value'}` of `{task_id}`") from error


cap.fake_state(xcom=dict, pushed=dict)


@cap.fake("xcom_push")
def _fake_push(fake: Any, key: str, value: bytes) -> None:
    fake.pushed[key] = json.loads(value)


@cap.fake("xcom_pull")
def _fake_pull(fake: Any, task_id: str, key: str | None) -> bytes | None:
    if (task_id, key) not in fake.xcom:
        return None
    return json.dumps(fake.xcom[(task_id, key)]).encode()
