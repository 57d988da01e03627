"""The end-to-end benchmark as one picture: throughput, command latency and the
dashboard's delay against the rate asked."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")  # files only: no display on a server
import matplotlib.pyplot as plt


def write(result: dict[str, Any], path: Path) -> None:
    steps = result["steps"]
    asked = [s["rate"] for s in steps]
    goals = result["goals"]
    fig, (through, latency, dashboard) = plt.subplots(1, 3, figsize=(15, 4.5))
    through.plot(asked, [s["achieved_per_s"] for s in steps], "o-", label="accepted")
    through.plot(asked, asked, "--", color="grey", label="asked")
    through.axhline(goals["sustained_cmds_per_s"], color="red", linestyle=":", label="goal")
    through.set(title="Throughput", xlabel="commands/s asked", ylabel="commands/s")
    for key, style in (("p50", "o-"), ("p99", "s-")):
        latency.plot(asked, [s["cmd_latency_ms"][key] for s in steps], style, label=key)
        dashboard.plot(asked, [s["cmd_to_dashboard_ms"][key] for s in steps], style, label=key)
    latency.axhline(goals["cmd_latency_p99_ms"], color="red", linestyle=":", label="p99 goal")
    latency.set(title="Command latency", xlabel="commands/s asked", ylabel="ms", yscale="log")
    dashboard.axhline(
        goals["cmd_to_dashboard_p99_ms"], color="red", linestyle=":", label="p99 goal"
    )
    dashboard.set(title="Answer → dashboard", xlabel="commands/s asked", ylabel="ms", yscale="log")
    for ax in (through, latency, dashboard):
        ax.grid(True, alpha=0.3)
        ax.legend()
    fig.suptitle(f"Grassroots end-to-end, {result['measured_at']}")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
