"""Each service as its own OS process, with its own port, database and log."""

from __future__ import annotations

import json
import sys
import time

import httpx
import structlog

from grassroots_stack import keys, postgres, processes
from grassroots_stack.kafka_access import service_principal
from grassroots_stack.layout import Layout, ServicePlan

log = structlog.get_logger()


def environment(layout: Layout, plan: ServicePlan) -> dict[str, str]:
    return {
        "GRASSROOTS_SERVICE_NAME": plan.name,
        "GRASSROOTS_PG_DSN": postgres.service_dsn(layout, plan.name),
        "GRASSROOTS_KAFKA_BOOTSTRAP": layout.kafka_bootstrap,
        # The service's own principal (kafka_access.py); the password stays in its file.
        "GRASSROOTS_KAFKA_SECURITY_PROTOCOL": "SASL_PLAINTEXT",
        "GRASSROOTS_KAFKA_SASL_MECHANISM": "SCRAM-SHA-512",
        "GRASSROOTS_KAFKA_USERNAME": service_principal(plan.name),
        "GRASSROOTS_KAFKA_PASSWORD_FILE": str(
            layout.kafka_password_file(service_principal(plan.name))
        ),
        "GRASSROOTS_HTTP_HOST": "127.0.0.1",
        "GRASSROOTS_HTTP_PORT": str(plan.port),
        "GRASSROOTS_ROLES": '["' + '","'.join(plan.roles.split(",")) + '"]',
        "GRASSROOTS_JWT_PUBLIC_KEY_FILE": str(layout.jwt_public_key),
        "PYTHONUNBUFFERED": "1",
        **_own_environment(layout, plan),
    }


def _own_environment(layout: Layout, plan: ServicePlan) -> dict[str, str]:
    """What only one service reads."""
    if plan.name == "requests":
        client = {"name": "city-hotline-12345", "county": "东安县"}
        key = keys.ensure_open311_key(layout)
        keys.ensure_personal_data_key(layout)
        previous = layout.personal_data_previous_key
        return {
            "GRASSROOTS_OPEN311_KEYS": json.dumps({key: client}, ensure_ascii=False),
            "GRASSROOTS_PERSONAL_DATA_KEY_FILE": str(layout.personal_data_key),
            # only while `grassroots keys rotate` runs (key_rotation.py)
            **(
                {"GRASSROOTS_PERSONAL_DATA_PREVIOUS_KEY_FILE": str(previous)}
                if previous.exists()
                else {}
            ),
        }
    return {}


def url(plan: ServicePlan) -> str:
    return f"http://127.0.0.1:{plan.port}"


def start(layout: Layout, plan: ServicePlan) -> bool:
    if processes.is_running(layout.pids, plan.name):
        return False
    processes.start(
        layout.pids,
        layout.logs,
        plan.name,
        [sys.executable, "-m", plan.module],
        env=environment(layout, plan),
        cwd=layout.root,
        marker=plan.module,
    )
    return True


def wait_ready(layout: Layout, plans: tuple[ServicePlan, ...], timeout: float = 90.0) -> None:
    deadline = time.monotonic() + timeout
    waiting = {p.name: p for p in plans}
    while waiting and time.monotonic() < deadline:
        for name, plan in list(waiting.items()):
            if processes.is_running(layout.pids, name) is None:
                raise RuntimeError(
                    f"{name} exited during start-up; see {layout.logs / (name + '.log')}"
                )
            try:
                if httpx.get(f"{url(plan)}/readyz", timeout=1.0).status_code == 200:
                    del waiting[name]
                    log.info("service.ready", service=name, url=url(plan))
            except httpx.HTTPError:
                pass
        time.sleep(0.25)
    if waiting:
        raise RuntimeError(
            f"not ready after {timeout:.0f}s: {', '.join(waiting)}; see {layout.logs}"
        )


def stop(layout: Layout, plan: ServicePlan) -> bool:
    return processes.stop(layout.pids, plan.name)


def health(plan: ServicePlan) -> str:
    try:
        response = httpx.get(f"{url(plan)}/readyz", timeout=1.0)
    except httpx.HTTPError:
        return "down"
    return "ready" if response.status_code == 200 else f"not ready ({response.status_code})"
