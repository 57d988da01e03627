"""Apache Kafka in KRaft mode, single node on loopback, from Maven Central jars."""

from __future__ import annotations

import asyncio
import logging
import os
import shutil
import subprocess
import time
from pathlib import Path

import structlog
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.errors import KafkaError
from grassroots_eventkit.kafka import PLAINTEXT, client_security
from grassroots_eventkit.settings import KafkaSecurity

from grassroots_stack import keys, processes
from grassroots_stack.kafka_access import KafkaAccess
from grassroots_stack.layout import KAFKA_VERSION, Layout

log = structlog.get_logger()

NAME = "kafka"
HEAP = ("-Xms512m", "-Xmx1g")

SERVER_PROPERTIES = """\
# Rendered by grassroots_stack.kafka for the local stack; edit the template, not this file.
process.roles=broker,controller
node.id=1
controller.quorum.bootstrap.servers=127.0.0.1:{controller_port}
listeners=SASL_PLAINTEXT://127.0.0.1:{kafka_port},CONTROLLER://127.0.0.1:{controller_port}
advertised.listeners=SASL_PLAINTEXT://127.0.0.1:{kafka_port}
controller.listener.names=CONTROLLER
listener.security.protocol.map=SASL_PLAINTEXT:SASL_PLAINTEXT,CONTROLLER:PLAINTEXT
inter.broker.listener.name=SASL_PLAINTEXT
# Clients authenticate with SCRAM (ADR 0015); the controller listener stays PLAINTEXT on
# loopback, where the broker reaches its own controller as ANONYMOUS (hence super.users).
sasl.enabled.mechanisms=SCRAM-SHA-512
sasl.mechanism.inter.broker.protocol=SCRAM-SHA-512
listener.name.sasl_plaintext.scram-sha-512.sasl.jaas.config={jaas}
authorizer.class.name=org.apache.kafka.metadata.authorizer.StandardAuthorizer
allow.everyone.if.no.acl.found=false
super.users=User:{admin_user};User:ANONYMOUS
log.dirs={data_dir}
num.partitions=1
default.replication.factor=1
offsets.topic.replication.factor=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
min.insync.replicas=1
group.initial.rebalance.delay.ms=0
auto.create.topics.enable=false
log.retention.hours=-1
"""


# The broker's own login on its SASL listener (inter-broker traffic, as the super user).
JAAS = 'org.apache.kafka.common.security.scram.ScramLoginModule required username="{user}" password="{password}";'  # noqa: E501


def ensure_jars(layout: Layout) -> Path:
    """Resolve the broker's jars once into the cache (mvn dependency:copy-dependencies)."""
    return _fetched(layout.root / "deploy" / "kafka" / "pom.xml", layout.kafka_jars)


def ensure_tools_jars(layout: Layout) -> Path:
    """Kafka's command-line tools (ProducerPerformance and friends), fetched on first use."""
    target = layout.kafka_jars.with_name(layout.kafka_jars.name + "-tools")
    return _fetched(layout.root / "deploy" / "kafka" / "tools-pom.xml", target)


def _fetched(pom: Path, target: Path) -> Path:
    done = target / ".complete"
    if done.exists():
        return target
    if shutil.which("mvn") is None:
        raise RuntimeError("Maven (mvn) is needed once to fetch Kafka: apt-get install maven")
    log.info("kafka.fetching_jars", version=KAFKA_VERSION, into=str(target))
    partial = target.with_name(target.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    fetched = subprocess.run(
        [
            "mvn",
            "-q",
            "-B",
            "-Dstyle.color=never",
            "-f",
            str(pom),
            f"-Dkafka.version={KAFKA_VERSION}",
            "dependency:copy-dependencies",
            f"-DoutputDirectory={partial}",
        ],
        capture_output=True,
        text=True,
    )
    if fetched.returncode != 0:
        raise RuntimeError(f"mvn could not fetch Kafka:\n{fetched.stdout}\n{fetched.stderr}")
    shutil.rmtree(target, ignore_errors=True)
    partial.rename(target)
    done.touch()
    return target


def _java(
    layout: Layout, main: str, *args: str, heap: tuple[str, ...] = ("-Xmx256m",)
) -> list[str]:
    log4j = layout.root / "deploy" / "kafka" / "log4j2.properties"
    return [
        "java",
        *heap,
        f"-Dlog4j2.configurationFile={log4j}",
        "-cp",
        f"{layout.kafka_jars}/*",
        main,
        *args,
    ]


def _render(layout: Layout) -> Path:
    home = layout.run_dir / "kafka"
    home.mkdir(parents=True, exist_ok=True)
    props = home / "server.properties"
    # Holds the admin's password (the broker's own SASL login): for the owner only.
    props.touch(mode=0o600)
    os.chmod(props, 0o600)
    props.write_text(
        SERVER_PROPERTIES.format(
            kafka_port=layout.kafka_port,
            controller_port=layout.controller_port,
            data_dir=home / "data",
            admin_user=keys.KAFKA_ADMIN,
            jaas=JAAS.format(
                user=keys.KAFKA_ADMIN,
                password=keys.ensure_kafka_password(layout, keys.KAFKA_ADMIN),
            ),
        )
    )
    return props


def _format_once(layout: Layout, props: Path) -> None:
    # Written after a format that bootstrapped the admin's SCRAM credential.
    scram_marker = layout.run_dir / "kafka" / "admin-scram-bootstrapped"
    if (layout.run_dir / "kafka" / "data" / "meta.properties").exists():
        if not scram_marker.exists():
            _add_admin_to_old_data(layout, props)
            scram_marker.touch()
        return
    cluster_id = (
        subprocess.run(
            _java(layout, "kafka.tools.StorageTool", "random-uuid"),
            check=True,
            capture_output=True,
            text=True,
        )
        .stdout.strip()
        .splitlines()[-1]
    )
    subprocess.run(
        _java(
            layout,
            "kafka.tools.StorageTool",
            "format",
            "--standalone",
            "-t",
            cluster_id,
            "-c",
            str(props),
            # The super user's SCRAM credential goes into the bootstrap metadata: the
            # only way to have one before any client can authenticate (KIP-900).
            "--add-scram",
            f"SCRAM-SHA-512=[name={keys.KAFKA_ADMIN},"
            f"password={keys.ensure_kafka_password(layout, keys.KAFKA_ADMIN)}]",
        ),
        check=True,
        capture_output=True,
        text=True,
    )
    scram_marker.touch()
    log.info("kafka.formatted", cluster_id=cluster_id)


def _add_admin_to_old_data(layout: Layout, props: Path) -> None:
    """A run folder formatted before SCRAM (ADR 0015) has no admin credential, and the
    controller listener does not take AlterUserScramCredentials. So, once: start the
    broker as it was (PLAINTEXT, no authorizer), add the admin's credential, stop it."""
    old = props.with_name("server.plaintext.properties")
    old.write_text(_without_security(props.read_text()))
    log.info("kafka.adding_admin_to_old_data", data=str(layout.run_dir / "kafka" / "data"))
    processes.start(
        layout.pids,
        layout.logs,
        NAME,
        _java(layout, "kafka.Kafka", str(old), heap=HEAP),
        marker=str(old),
    )
    try:
        asyncio.run(wait_ready(layout.kafka_bootstrap))
        access = KafkaAccess(layout.kafka_bootstrap, PLAINTEXT)
        access.set_passwords(
            {keys.KAFKA_ADMIN: keys.ensure_kafka_password(layout, keys.KAFKA_ADMIN)}
        )
    finally:
        processes.stop(layout.pids, NAME, timeout=30)
        old.unlink(missing_ok=True)


def _without_security(rendered: str) -> str:
    """The rendered properties as they were before SASL and ACLs."""
    kept = []
    for line in rendered.splitlines():
        key = line.split("=", 1)[0]
        if key.startswith(("sasl.", "listener.name.", "authorizer.", "allow.everyone", "super.")):
            continue
        if key == "listener.security.protocol.map":
            line = "listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT"
        else:
            line = line.replace("SASL_PLAINTEXT", "PLAINTEXT")
        kept.append(line)
    return "\n".join(kept) + "\n"


def start(layout: Layout) -> bool:
    if processes.is_running(layout.pids, NAME):
        return False
    ensure_jars(layout)
    props = _render(layout)
    _format_once(layout, props)
    processes.start(
        layout.pids,
        layout.logs,
        NAME,
        _java(layout, "kafka.Kafka", str(props), heap=HEAP),
        marker=str(props),
    )
    asyncio.run(wait_ready(layout.kafka_bootstrap, security=admin_security(layout)))
    log.info("kafka.started", bootstrap=layout.kafka_bootstrap)
    return True


def admin_security(layout: Layout) -> KafkaSecurity:
    """The stack's super user: the stack's own set-up steps, tests and benchmarks."""
    return keys.kafka_security(layout, keys.KAFKA_ADMIN)


def security_from_environment() -> KafkaSecurity:
    """GRASSROOTS_KAFKA_* as a service reads them (compose's one-shot steps, tools)."""
    env = os.environ
    password = env.get("GRASSROOTS_KAFKA_PASSWORD")
    if password is None and env.get("GRASSROOTS_KAFKA_PASSWORD_FILE"):
        password = Path(env["GRASSROOTS_KAFKA_PASSWORD_FILE"]).read_text().strip()
    return KafkaSecurity.model_validate(
        {
            "security_protocol": env.get("GRASSROOTS_KAFKA_SECURITY_PROTOCOL", "PLAINTEXT"),
            "sasl_mechanism": env.get("GRASSROOTS_KAFKA_SASL_MECHANISM", "SCRAM-SHA-512"),
            "username": env.get("GRASSROOTS_KAFKA_USERNAME"),
            "password": password,
        }
    )


async def wait_ready(
    bootstrap: str, timeout: float = 90.0, *, security: KafkaSecurity = PLAINTEXT
) -> None:
    """Ready when an admin client gets cluster metadata with a live broker."""
    deadline = time.monotonic() + timeout
    last: Exception | None = None
    # aiokafka logs every refused connection while the broker boots.
    logging.getLogger("aiokafka").setLevel(logging.CRITICAL)
    while time.monotonic() < deadline:
        admin = AIOKafkaAdminClient(
            bootstrap_servers=bootstrap, request_timeout_ms=3000, **client_security(security)
        )
        try:
            await admin.start()
            cluster = await admin.describe_cluster()
            if cluster.get("brokers"):
                return
        except (KafkaError, OSError) as exc:
            last = exc
        finally:
            await admin.close()
        await asyncio.sleep(0.5)
    raise RuntimeError(f"Kafka at {bootstrap} not ready after {timeout:.0f}s: {last!r}")


def stop(layout: Layout) -> bool:
    return processes.stop(layout.pids, NAME, timeout=30)
