"""Dong'an County (东安县, Hunan): the eight urban communities of the source article.

The article names 茶亭社区 and 山子岭社区; the other six names are invented for
the demo. All eight sit in the county seat, 白牙市镇.
"""

from __future__ import annotations

from dataclasses import dataclass

COUNTY = "东安县"
COUNTY_SEAT = "白牙市镇"


@dataclass(frozen=True)
class DemoCommunity:
    key: str  # stable handle for idempotency keys and tests
    name: str
    town: str = COUNTY_SEAT


COMMUNITIES: tuple[DemoCommunity, ...] = (
    DemoCommunity("chating", "茶亭社区"),
    DemoCommunity("shanziling", "山子岭社区"),
    DemoCommunity("chengnan", "城南社区"),
    DemoCommunity("chengbei", "城北社区"),
    DemoCommunity("zixi", "紫溪社区"),
    DemoCommunity("xincheng", "新城社区"),
    DemoCommunity("binjiang", "滨江社区"),
    DemoCommunity("shunhuang", "舜皇社区"),
)
