"""The local stack's promises: a second `up` starts nothing; services stop gracefully."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import uuid

import httpx
import pytest

from tests.support.stack import ROOT

pytestmark = pytest.mark.e2e


def _state() -> dict:
    run_dir = os.environ.get("GRASSROOTS_RUN_DIR", str(ROOT / ".run"))
    with open(os.path.join(run_dir, "services.json")) as f:
        return json.load(f)


def test_a_second_up_starts_nothing_and_keeps_the_same_processes(stack):
    before = {name: info["pid"] for name, info in _state()["services"].items()}
    result = subprocess.run(
        [sys.executable, "-m", "grassroots_stack", "stack", "up", "--no-demo"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert "already running; nothing started" in result.stderr
    after = {name: info["pid"] for name, info in _state()["services"].items()}
    assert after == before
    assert all(pid for pid in after.values())


def test_ps_reports_every_part_ready(stack):
    result = subprocess.run(
        [sys.executable, "-m", "grassroots_stack", "stack", "ps"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stdout
    for part in ("postgres", "kafka", "organisation", "projections"):
        assert part in result.stdout


def test_a_service_stops_cleanly_on_sigterm(stack, tmp_path):
    port = 18900 + os.getpid() % 90
    env = {
        **os.environ,
        "GRASSROOTS_PG_DSN": stack.dsn(f"t_{uuid.uuid4().hex[:10]}"),
        "GRASSROOTS_KAFKA_BOOTSTRAP": stack.kafka,
        **stack.kafka_env("service-organisation"),
        "GRASSROOTS_HTTP_PORT": str(port),
        "GRASSROOTS_JWT_PUBLIC_KEY_FILE": stack.public_key_file,
        "GRASSROOTS_ROLES": '["api","relay"]',
    }
    log = tmp_path / "organisation.log"
    proc = subprocess.Popen(
        [sys.executable, "-m", "organisation_service"],
        cwd=ROOT,
        env=env,
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert proc.poll() is None, log.read_text()
            assert time.monotonic() < deadline, log.read_text()
            time.sleep(0.2)
        proc.send_signal(signal.SIGTERM)
        # uvicorn re-raises the caught signal once shut down, so supervisors see it.
        assert proc.wait(timeout=30) in (0, -signal.SIGTERM), log.read_text()
    finally:
        if proc.poll() is None:
            proc.kill()
    lines = [json.loads(line) for line in log.read_text().splitlines() if line.startswith("{")]
    events = [line["event"] for line in lines]
    assert "service.started" in events
    assert events.index("service.stopped") > events.index("service.started")
    assert not [line for line in lines if line["level"] in ("error", "critical")]
