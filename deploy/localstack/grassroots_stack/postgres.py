"""A project-local PostgreSQL cluster made with the machine's own binaries.

PostgreSQL refuses to run as root, so under root the cluster runs as the
`postgres` system user; if that user cannot reach the run folder (a private
temporary checkout, say), the data folder lives under /var/tmp and the run folder
links to it.
"""

from __future__ import annotations

import hashlib
import os
import pwd
import shutil
import subprocess
import time
from pathlib import Path

import structlog

from grassroots_stack.layout import Layout

log = structlog.get_logger()

SERVER_SETTINGS = {
    "listen_addresses": "'127.0.0.1'",
    "unix_socket_directories": "''",
    "max_connections": "400",
    "shared_buffers": "256MB",
    # Durable as in production: fsync and synchronous commit stay on.
    "wal_buffers": "16MB",
    "max_wal_size": "2GB",
    "checkpoint_timeout": "15min",
    # Which statements cost what, per database: ops read it, and `make bench` profiles
    # PostgreSQL with it when the database server is the busiest process.
    "shared_preload_libraries": "pg_stat_statements",
}


def _bin_dir() -> Path:
    """Newest PostgreSQL on the machine (Debian keeps initdb off PATH)."""
    found = shutil.which("pg_ctl")
    if found and shutil.which("initdb"):
        return Path(found).resolve().parent
    versions = sorted(
        Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"), key=lambda p: int(p.parts[-3])
    )
    if not versions:
        raise RuntimeError(
            "PostgreSQL server binaries not found: apt-get install postgresql "
            "(or set GRASSROOTS_PG_DSN to use an existing server)"
        )
    return versions[-1].parent


def _as_postgres_user() -> bool:
    return os.geteuid() == 0


def _run(argv: list[str], *, check: bool = True) -> subprocess.CompletedProcess[str]:
    if _as_postgres_user():
        argv = ["runuser", "-u", "postgres", "--", *argv]
    return subprocess.run(argv, check=check, capture_output=True, text=True)


def _reachable_by_postgres(path: Path) -> bool:
    probe = subprocess.run(
        ["runuser", "-u", "postgres", "--", "test", "-w", str(path)], capture_output=True
    )
    return probe.returncode == 0


def cluster_dir(layout: Layout) -> Path:
    """The folder holding `data/` and `postgres.log`, writable by the server's user."""
    link = layout.run_dir / "postgres"
    if link.is_symlink() or link.exists():
        return link.resolve()
    layout.run_dir.mkdir(parents=True, exist_ok=True)
    if not _as_postgres_user():
        link.mkdir()
        return link
    uid = pwd.getpwnam("postgres").pw_uid
    link.mkdir()
    os.chown(link, uid, -1)
    if _reachable_by_postgres(link):
        return link
    link.rmdir()
    digest = hashlib.sha256(str(layout.run_dir).encode()).hexdigest()[:12]
    # Named after the run folder, owned by postgres, mode 700 (initdb): not a shared temp file.
    outside = Path("/var/tmp") / f"grassroots-pg-{digest}"  # noqa: S108
    outside.mkdir(parents=True, exist_ok=True)
    os.chown(outside, uid, -1)
    link.symlink_to(outside)
    return outside


def admin_dsn(layout: Layout) -> str:
    if layout.external_pg_dsn:
        return layout.external_pg_dsn
    return f"postgresql://postgres@127.0.0.1:{layout.pg_port}/postgres"


def service_dsn(layout: Layout, database: str) -> str:
    """The same server, the service's own database."""
    base = admin_dsn(layout)
    head, _, tail = base.rpartition("/")
    query = ("?" + tail.split("?", 1)[1]) if "?" in tail else ""
    return f"{head}/{database}{query}"


def is_running(layout: Layout) -> bool:
    if layout.external_pg_dsn:
        return True
    data = cluster_dir(layout) / "data"
    if not (data / "PG_VERSION").exists():
        return False
    status = _run([str(_bin_dir() / "pg_ctl"), "status", "-D", str(data)], check=False)
    return status.returncode == 0


def start(layout: Layout) -> bool:
    """Initialise on first use and start; False if it was already running."""
    if layout.external_pg_dsn:
        log.info("postgres.external", dsn=layout.external_pg_dsn)
        return False
    if is_running(layout):
        return False
    home = cluster_dir(layout)
    data = home / "data"
    bins = _bin_dir()
    if not (data / "PG_VERSION").exists():
        _run(
            [
                str(bins / "initdb"),
                "-D",
                str(data),
                "-U",
                "postgres",
                "-A",
                "trust",
                "-E",
                "UTF8",
                "--locale=C.UTF-8",
            ]
        )
        log.info("postgres.initialised", data=str(data))
    options = " ".join(f"-c {k}={v}" for k, v in SERVER_SETTINGS.items())
    _run(
        [
            str(bins / "pg_ctl"),
            "start",
            "-D",
            str(data),
            "-l",
            str(home / "postgres.log"),
            "-w",
            "-t",
            "60",
            "-o",
            f"-p {layout.pg_port} {options}",
        ]
    )
    layout.logs.mkdir(parents=True, exist_ok=True)
    log_link = layout.logs / "postgres.log"
    if not log_link.exists():
        log_link.symlink_to(home / "postgres.log")
    _wait_accepting(layout)
    log.info("postgres.started", port=layout.pg_port)
    return True


def _wait_accepting(layout: Layout, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        probe = subprocess.run(
            [str(_bin_dir() / "pg_isready"), "-h", "127.0.0.1", "-p", str(layout.pg_port)],
            capture_output=True,
        )
        if probe.returncode == 0:
            return
        time.sleep(0.2)
    raise RuntimeError(f"PostgreSQL did not accept connections on port {layout.pg_port}")


def stop(layout: Layout, *, mode: str = "fast") -> bool:
    """`fast` rolls back open transactions and checkpoints; `immediate` (the chaos runs)
    aborts every process at once, like a crash: the next start replays the WAL."""
    if layout.external_pg_dsn or not is_running(layout):
        return False
    data = cluster_dir(layout) / "data"
    _run([str(_bin_dir() / "pg_ctl"), "stop", "-D", str(data), "-m", mode, "-w", "-t", "60"])
    log.info("postgres.stopped", mode=mode)
    return True
