"""The variables capability: the tenant's key-value settings, read by key.

``ctx.variable(key)`` and ``ctx.variable_json(key)``, over the host call ``variable``;
``FakeHost`` answers from ``variables``.
"""

from __future__ import annotations

from typing import Any

from ._capability import Capability, bindings
from .context import decode

cap = Capability(__name__)
_variables = bindings("variables")


@cap.context
def variable(self: Any, key: str, default: str | None = None) -> str | None:
    """Variable ``key``, or ``default`` when it is not set."""
    value = self._host.variable(key)
    return default if value is None else value


@cap.context
def variable_json(self: Any, key: str, default: Any = None) -> Any:
    """Variable ``key`` parsed as JSON, or ``default`` when it is not set."""
    value = self._host.variable(key)
    return default if value is None else decode(value.encode("utf-8"), f"variable `{key}`")


@cap.guest("variable")
def _guest_variable(key: str) -> str | None:
    """Variable ``key``, if set."""
    return _variables.get(key)


cap.fake_state(variables=dict)


@cap.fake("variable")
def _fake_variable(fake: Any, key: str) -> str | None:
    return fake.variables.get(key)
