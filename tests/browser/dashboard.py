"""What the dashboard tests share: opening the page with a token, reading its figures through
the agreed hooks (data-figure, #county-table, #message, #updated, #lang), and comparing what
it shows with the JSON API behind it."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import httpx
from playwright.sync_api import Page

from tests.support.stack import ROOT, Stack

TOKEN_KEY = "grassroots.token"
DASH = "—"
# Where the screenshots go: the run folder by default, so a test run leaves the checkout
# alone; GRASSROOTS_SCREENSHOTS=docs/images refreshes the README's pictures.
IMAGES = Path(
    os.environ.get("GRASSROOTS_SCREENSHOTS")
    or Path(os.environ.get("GRASSROOTS_RUN_DIR", ROOT / ".run")) / "screenshots"
)

_NUMBER = re.compile(r"-?\d[\d,]*(?:\.(\d+))?")
_RATE = re.compile(r"(\d{1,3}\.\d)\s?%")

COUNTY_FIGURES = (
    "rank",
    "name",
    "response_rate",
    "resolution_rate",
    "satisfaction_rate",
    "reporting_rate",
    "open_requests",
    "overdue",
    "hours_per_member",
    "rota_gaps",
)
COMMUNITY_FIGURES = (
    "response_rate",
    "resolution_rate",
    "satisfaction_rate",
    "open_requests",
    "overdue",
    "respond_p50_minutes",
    "resolve_p50_minutes",
    "hours_this_month",
    "rota_gaps",
)


def open_dashboard(page: Page, base: str, token: str, route: str) -> None:
    """Hand the page its token the agreed way (#token=... once), check it kept it, then load
    the route afresh as a reader would come back to it."""
    page.goto(f"{base}#token={token}")
    page.wait_for_function(
        "([key, token]) => window.localStorage.getItem(key) === token",
        arg=[TOKEN_KEY, token],
        timeout=10_000,
    )
    page.goto("about:blank")
    page.goto(f"{base}#{route}")


def api(stack: Stack, path: str, token: str, **params: Any) -> dict[str, Any]:
    answer = httpx.get(
        f"{stack.url('projections')}/dashboard/api{path}",
        params=params or None,
        headers={"Authorization": f"Bearer {token}"},
        timeout=20,
    )
    assert answer.status_code == 200, (path, answer.status_code, answer.text)
    return dict(answer.json())


def county_rows(page: Page) -> list[dict[str, Any]]:
    """Every row of #county-table at one instant: its community id and its figures' text."""
    return list(
        page.evaluate(
            """() => Array.from(
                document.querySelectorAll('#county-table tr[data-community-id]')
            ).map(tr => ({
                id: tr.dataset.communityId,
                cells: Object.fromEntries(Array.from(tr.querySelectorAll('td[data-figure]'))
                    .map(td => [td.dataset.figure, td.innerText.trim()])),
            }))"""
        )
    )


def figures(page: Page, names: tuple[str, ...] = COMMUNITY_FIGURES) -> dict[str, str | None]:
    """The text of the first element carrying each data-figure, at one instant."""
    return dict(
        page.evaluate(
            """(names) => Object.fromEntries(names.map(n => {
                const el = document.querySelector(`[data-figure="${n}"]`);
                return [n, el ? el.innerText.trim() : null];
            }))""",
            list(names),
        )
    )


def shown_rate(text: str | None, value: float | None) -> str | None:
    """None when `text` shows `value` (a 0..1 fraction) as a percentage with one decimal,
    or "—" for no value; else why not."""
    if text is None:
        return "missing"
    if value is None:
        return None if text == DASH else f"{text!r} for no value (expected {DASH})"
    found = _RATE.fullmatch(text)
    if not found:
        return f"{text!r} is not a percentage with one decimal"
    # Either rounding of a tie (JavaScript's toFixed or Python's) is right.
    if abs(float(found.group(1)) - value * 100) > 0.05 + 1e-9:
        return f"{text!r} for {value * 100:.3f}%"
    return None


def shown_number(text: str | None, value: float | int | None) -> str | None:
    """None when `text` shows `value`: exactly for a whole number, else to the decimals shown;
    "—" for no value. Units or words around the number are allowed."""
    if text is None:
        return "missing"
    if value is None:
        return None if text == DASH else f"{text!r} for no value (expected {DASH})"
    found = _NUMBER.search(text)
    if not found:
        return f"{text!r} shows no number (expected {value})"
    number = float(found.group(0).replace(",", ""))
    decimals = len(found.group(1) or "")
    if isinstance(value, int) and not isinstance(value, bool):
        return None if number == value else f"{text!r} for {value}"
    if abs(number - value) > 0.5 * 10**-decimals + 1e-9:
        return f"{text!r} for {value}"
    return None


def mismatches(expected: dict[str, Any], shown: dict[str, str | None]) -> dict[str, str]:
    """Compare the shown text with the API's values; `expected` maps a figure to
    ("rate" | "number" | "text", value)."""
    out: dict[str, str] = {}
    for figure, (kind, value) in expected.items():
        text = shown.get(figure)
        if kind == "rate":
            why = shown_rate(text, value)
        elif kind == "number":
            why = shown_number(text, value)
        else:
            why = None if text == value else f"{text!r} for {value!r}"
        if why:
            out[figure] = why
    return out


def county_expected(row: dict[str, Any]) -> dict[str, tuple[str, Any]]:
    rates = row["rates"]
    return {
        "rank": ("number", row["rank"]),
        "name": ("text", row["name"]),
        "response_rate": ("rate", rates["response_rate"]["value"]),
        "resolution_rate": ("rate", rates["resolution_rate"]["value"]),
        "satisfaction_rate": ("rate", rates["satisfaction_rate"]["value"]),
        "reporting_rate": ("rate", row["reporting_rate"]),
        "open_requests": ("number", row["open_requests"]),
        "overdue": ("number", row["overdue"]),
        "hours_per_member": ("number", row["volunteer_hours_per_member"]),
        "rota_gaps": ("number", row["rota_gaps"]),
    }


def this_month(view: dict[str, Any], rows: list[dict[str, Any]]) -> dict[str, Any] | None:
    month = str(view["today"])[:7]
    return next((r for r in rows if r["month"] == month), None)


def community_expected(view: dict[str, Any]) -> dict[str, tuple[str, Any]]:
    rates = this_month(view, view["rates"])
    hours = this_month(view, view["volunteering"]["hours_by_month"])
    requests = view["requests"]
    return {
        "response_rate": ("rate", rates["response_rate"]["value"] if rates else None),
        "resolution_rate": ("rate", rates["resolution_rate"]["value"] if rates else None),
        "satisfaction_rate": ("rate", rates["satisfaction_rate"]["value"] if rates else None),
        "open_requests": ("number", requests["open"]),
        "overdue": ("number", requests["overdue"]),
        "respond_p50_minutes": ("number", requests["minutes_to_respond"]["p50"]),
        "resolve_p50_minutes": ("number", requests["minutes_to_resolve"]["p50"]),
        "hours_this_month": ("number", float(hours["hours"]) if hours else 0.0),
        "rota_gaps": ("number", view["volunteering"]["rota"]["gaps"]),
    }


def screenshot(page: Page, name: str) -> Path:
    IMAGES.mkdir(parents=True, exist_ok=True)
    path = IMAGES / name
    page.screenshot(path=str(path), full_page=True)
    return path
