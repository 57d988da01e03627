"""Up, down and status of the whole local stack."""

from __future__ import annotations

import asyncio
import functools
import json
import shutil
import time
from dataclasses import asdict, dataclass
from datetime import date, timedelta
from typing import Any

import structlog
from grassroots_contracts.topics import ALL_TOPICS
from grassroots_eventkit.auth import issue_token
from grassroots_eventkit.kafka import ensure_topics
from grassroots_eventkit.settings import KafkaSecurity

from grassroots_stack import kafka, kafka_access, keys, postgres, processes, services
from grassroots_stack.demo import (
    dongan,
    generator,
    loader,
    points_traffic,
    requests_traffic,
    volunteering_traffic,
)
from grassroots_stack.layout import Layout

log = structlog.get_logger()


@dataclass(frozen=True)
class UpResult:
    started: list[str]
    state: dict[str, Any]


def up(layout: Layout, *, demo: bool = True, demo_scale: float | None = None) -> UpResult:
    layout.run_dir.mkdir(parents=True, exist_ok=True)
    started: list[str] = []
    keys.ensure_keys(layout)
    if postgres.start(layout):
        started.append("postgres")
    if kafka.start(layout):
        started.append("kafka")
    admin = kafka.admin_security(layout)
    asyncio.run(ensure_topics(layout.kafka_bootstrap, ALL_TOPICS, security=admin))
    grant_services(layout)
    for plan in layout.services:
        if services.start(layout, plan):
            started.append(plan.name)
    services.wait_ready(layout, layout.services)
    state = write_state(layout)
    if demo:
        seed, sizes, as_of = demo_plan(layout, demo_scale)
        token = mint(layout, subject="demo-loader", roles=["county_admin"], county=dongan.COUNTY)
        urls = {p.name: services.url(p) for p in layout.services}
        summary = loader.load_county(
            urls["organisation"], urls["projections"], token, seed=seed, sizes=sizes, as_of=as_of
        )
        state["demo"] = summary.state()
        traffic = requests_traffic.load_requests(
            urls["organisation"],
            urls["requests"],
            token,
            functools.partial(mint, layout),
            county=dongan.COUNTY,
            communities=summary.communities,
            seed=seed,
            per_community=max(5, round(requests_traffic.PER_COMMUNITY * sizes.scale)),
        )
        state["demo"]["requests"] = traffic.state()
        volunteering = volunteering_traffic.load_volunteering(
            urls["organisation"],
            urls["volunteering"],
            token,
            functools.partial(mint, layout),
            county=dongan.COUNTY,
            communities=summary.communities,
            seed=seed,
            as_of=as_of,
            per_community=max(3, round(volunteering_traffic.PER_COMMUNITY * sizes.scale)),
        )
        state["demo"]["volunteering"] = volunteering.state()
        points = points_traffic.load_points(
            urls["organisation"],
            urls["points"],
            token,
            functools.partial(mint, layout),
            county=dongan.COUNTY,
            communities=summary.communities,
            seed=seed,
            as_of=as_of,
        )
        state["demo"]["points"] = points.state()
        _demo_record_update(layout, loaded=state["demo"])
    elif loaded := _demo_record(layout).get("loaded"):
        # The data outlives `down` and `up --no-demo`: keep telling tests and tokens about it.
        state["demo"] = loaded
    layout.state_file.write_text(json.dumps(state, ensure_ascii=False, indent=2))
    return UpResult(started=started, state=state)


def grant_services(
    layout: Layout, bootstrap: str | None = None, admin: KafkaSecurity | None = None
) -> None:
    """Each service's SCRAM principal and ACLs; idempotent, so every `up` re-applies them."""
    started = time.monotonic()
    names = [plan.name for plan in layout.services]
    passwords = {
        name: keys.ensure_kafka_password(layout, kafka_access.service_principal(name))
        for name in names
    }
    access = kafka_access.KafkaAccess(
        bootstrap or layout.kafka_bootstrap, admin or kafka.admin_security(layout)
    )
    kafka_access.ensure_services(access, passwords, names)
    log.info("kafka.services_granted", seconds=round(time.monotonic() - started, 3))


def demo_plan(layout: Layout, scale: float | None) -> tuple[int, generator.Sizes, date]:
    """Seed, sizes and reporting day of the demo whose data this run folder holds.

    Fixed when the demo is first loaded and kept beside the data (`make clean` removes
    both), so every later `up` regenerates the very same county and its requests replay.
    Only a new calendar year moves the day: that year's reports and pledges are new.
    """
    saved = _demo_record(layout)
    today = loader.today()
    if saved:
        seed, sizes = int(saved["seed"]), generator.Sizes.from_record(saved["sizes"])
        as_of = date.fromisoformat(saved["as_of"])
        if scale is not None and scale != sizes.scale:
            raise RuntimeError(
                f"{layout.run_dir} holds a demo at scale {sizes.scale}, not {scale}: "
                "`make clean` first to load another size"
            )
        if as_of.year != today.year:
            as_of = today
    else:
        seed, sizes, as_of = generator.DEFAULT_SEED, generator.Sizes(scale=scale or 1.0), today
    _demo_record_update(layout, seed=seed, sizes=asdict(sizes), as_of=as_of.isoformat())
    return seed, sizes, as_of


def demo_loaded(layout: Layout) -> bool:
    return bool(_demo_record(layout).get("loaded"))


def _demo_record(layout: Layout) -> dict[str, Any]:
    path = layout.run_dir / "demo.json"
    return dict(json.loads(path.read_text())) if path.exists() else {}


def _demo_record_update(layout: Layout, **fields: Any) -> None:
    record = _demo_record(layout) | fields
    (layout.run_dir / "demo.json").write_text(json.dumps(record, ensure_ascii=False, indent=2))


def write_state(layout: Layout) -> dict[str, Any]:
    state: dict[str, Any] = {
        "kafka": layout.kafka_bootstrap,
        # The stack's super user, for tests and tools; services have principals of their own.
        "kafka_security": {
            "security_protocol": "SASL_PLAINTEXT",
            "sasl_mechanism": "SCRAM-SHA-512",
            "username": keys.KAFKA_ADMIN,
            "password_file": str(layout.kafka_password_file(keys.KAFKA_ADMIN)),
        },
        "postgres": postgres.admin_dsn(layout),
        "services": {
            plan.name: {
                "url": services.url(plan),
                "pid": processes.is_running(layout.pids, plan.name),
                "database": postgres.service_dsn(layout, plan.name),
            }
            for plan in layout.services
        },
        "jwt": {
            "public_key_file": str(layout.jwt_public_key),
            "private_key_file": str(layout.jwt_private_key),
            "issuer": "grassroots-local",
            "audience": "grassroots",
        },
        "personal_data": {"master_key_file": str(layout.personal_data_key)},
        "open311": {
            "url": services.url(layout.service("requests")) + "/open311/v2",
            "api_key_file": str(layout.open311_key),
        },
        "logs": str(layout.logs),
    }
    layout.state_file.write_text(json.dumps(state, ensure_ascii=False, indent=2))
    return state


def record_pids(layout: Layout) -> None:
    """The services' pids in the state file as they are now (a service restarted on its
    own, by the chaos runs say); the rest of the file as it was."""
    if not layout.state_file.exists():
        return
    state = json.loads(layout.state_file.read_text())
    for plan in layout.services:
        state["services"][plan.name]["pid"] = processes.is_running(layout.pids, plan.name)
    layout.state_file.write_text(json.dumps(state, ensure_ascii=False, indent=2))


def anything_running(layout: Layout) -> bool:
    """Whether any process of this stack (its run folder's pid files) is alive."""
    names = [p.name for p in layout.services] + [kafka.NAME]
    if any(processes.is_running(layout.pids, name) for name in names):
        return True
    return not layout.external_pg_dsn and postgres.is_running(layout)


def down(layout: Layout) -> list[str]:
    stopped = [p.name for p in reversed(layout.services) if services.stop(layout, p)]
    if kafka.stop(layout):
        stopped.append("kafka")
    if postgres.stop(layout):
        stopped.append("postgres")
    layout.state_file.unlink(missing_ok=True)
    return stopped


def clean(layout: Layout) -> list[str]:
    """Stop everything, then delete the run folder with its data, logs and keys, and
    the PostgreSQL cluster outside it if it had to live there (see postgres.py)."""
    stopped = down(layout)
    link = layout.run_dir / "postgres"
    if link.is_symlink():
        shutil.rmtree(link.resolve(), ignore_errors=True)
    shutil.rmtree(layout.run_dir, ignore_errors=True)
    return stopped


def status(layout: Layout) -> list[dict[str, str]]:
    rows = [
        {
            "name": "postgres",
            "pid": "-",
            "address": postgres.admin_dsn(layout),
            "health": "ready" if postgres.is_running(layout) else "down",
        },
        {
            "name": "kafka",
            "pid": str(processes.is_running(layout.pids, "kafka") or "-"),
            "address": layout.kafka_bootstrap,
            "health": "ready" if processes.is_running(layout.pids, "kafka") else "down",
        },
    ]
    for plan in layout.services:
        pid = processes.is_running(layout.pids, plan.name)
        rows.append(
            {
                "name": plan.name,
                "pid": str(pid or "-"),
                "address": services.url(plan),
                "health": services.health(plan) if pid else "down",
            }
        )
    return rows


def mint(
    layout: Layout,
    *,
    subject: str,
    roles: list[str],
    county: str | None = None,
    communities: list[str] | None = None,
    department: str | None = None,
    ttl: timedelta = timedelta(hours=12),
) -> str:
    keys.ensure_keys(layout)
    return issue_token(
        layout.jwt_private_key.read_text(),
        subject=subject,
        roles=roles,
        county=county,
        communities=communities or [],
        department=department,
        ttl=ttl,
    )
