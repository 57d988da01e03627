"""HTTP routes for unit party organisations (机关企事业单位党组织)."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(tags=["unit party organisations"])
