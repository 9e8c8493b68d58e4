"""The assets capability: what a task adds to the events of the assets it updates.

``ctx.set_asset_extra(uri, extra)``, over the host call ``set_asset_extra``; ``FakeHost``
keeps the extras in ``asset_extras``, by URI.
"""

from __future__ import annotations

import json
from typing import Any

from ._capability import Capability, Err, bindings
from .context import encode
from .errors import PermanentError

cap = Capability(__name__)
_assets = bindings("assets")


@cap.context
def set_asset_extra(self: Any, uri: str, extra: dict[str, Any]) -> None:
    """Attach ``extra`` to the event outlet ``uri`` gets when this attempt succeeds."""
    self._host.set_asset_extra(uri, encode(extra, f"the extra of asset `{uri}`").decode())


@cap.guest("set_asset_extra")
def _guest_set_asset_extra(uri: str, extra: str) -> None:
    """Attach ``extra`` (a JSON object) to the event outlet ``uri`` gets on success."""
    try:
        _assets.set_extra(uri, extra)
    except Err as error:
        raise PermanentError(f"the extra of asset `{uri}`: {error.value}") from error


cap.fake_state(asset_extras=dict)


@cap.fake("set_asset_extra")
def _fake_set_asset_extra(fake: Any, uri: str, extra: str) -> None:
    fake.asset_extras[uri] = json.loads(extra)
