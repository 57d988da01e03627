"""Public events of unit party organisations (机关企事业单位党组织): report, pairing, pledges."""

from __future__ import annotations

from grassroots_contracts.events import PublicEvent

EVENTS: tuple[type[PublicEvent], ...] = ()
