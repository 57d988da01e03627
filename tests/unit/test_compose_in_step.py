"""docker-compose.yml and deploy/Dockerfile stay in step with the local stack.

No Docker engine runs where these tests run, so nothing here starts a container:
the compose file and the Dockerfile are read and compared with the local stack's
source of truth, `grassroots_stack` (layout, services.environment, the Kafka
SERVER_PROPERTIES and HEAP, the PostgreSQL SERVER_SETTINGS, ALL_TOPICS).

The containers' layout is the local stack's own `load_layout()`, with ports shifted
by GRASSROOTS_PORT_OFFSET=-10000 (each service's default port) and the run folder
the image sets (GRASSROOTS_RUN_DIR=/var/lib/grassroots).
"""

from __future__ import annotations

import importlib
import re
import tomllib
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml
from grassroots_eventkit.settings import ServiceSettings
from grassroots_stack import kafka, keys, postgres, services
from grassroots_stack.layout import KAFKA_VERSION, Layout, ServicePlan, load_layout

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[2]
COMPOSE_FILE = ROOT / "docker-compose.yml"
DOCKERFILE = ROOT / "deploy" / "Dockerfile"
DOCKERIGNORE = ROOT / ".dockerignore"

CONTAINER_PORT_OFFSET = "-10000"
CONTAINER_ROOT = "/app"
CONTAINER_RUN_DIR = "/var/lib/grassroots"

# Broker settings naming addresses or paths: containers need their own.
KAFKA_CONTAINER_SPECIFIC = frozenset(
    {
        "listeners",
        "advertised.listeners",
        "controller.quorum.bootstrap.servers",
        "listener.security.protocol.map",
        "log.dirs",
        # The broker's own login holds the admin password: the kafka command renders it.
        "listener.name.sasl_plaintext.scram-sha-512.sasl.jaas.config",
    }
)
# KAFKA_* variables the apache/kafka image does not turn into broker properties
# (kafka.docker.KafkaDockerWrapper in the 4.1.1 jar).
KAFKA_NON_PROPERTY_ENV = frozenset(
    {
        "KAFKA_VERSION",
        "KAFKA_HEAP_OPTS",
        "KAFKA_LOG4J_OPTS",
        "KAFKA_OPTS",
        "KAFKA_JMX_OPTS",
        "KAFKA_JVM_PERFORMANCE_OPTS",
        "KAFKA_GC_LOG_OPTS",
        "KAFKA_LOG4J_ROOT_LOGLEVEL",
        "KAFKA_LOG4J_LOGGERS",
        "KAFKA_TOOLS_LOG4J_LOGLEVEL",
        "KAFKA_JMX_HOSTNAME",
    }
)
# Server settings about where PostgreSQL listens: the image's own defaults must stay.
PG_CONTAINER_SPECIFIC = frozenset({"listen_addresses", "unix_socket_directories"})

SERVICE_NAMES = [plan.name for plan in load_layout().services]


# ---------------------------------------------------------------- helpers


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    loaded = yaml.safe_load(COMPOSE_FILE.read_text(encoding="utf-8"))
    assert isinstance(loaded, dict)
    return loaded


@pytest.fixture
def container_layout(monkeypatch: pytest.MonkeyPatch) -> Layout:
    """The local stack's layout as the containers see it."""
    monkeypatch.setenv("GRASSROOTS_ROOT", CONTAINER_ROOT)
    monkeypatch.setenv("GRASSROOTS_RUN_DIR", CONTAINER_RUN_DIR)
    monkeypatch.setenv("GRASSROOTS_PORT_OFFSET", CONTAINER_PORT_OFFSET)
    monkeypatch.delenv("GRASSROOTS_PG_DSN", raising=False)
    return load_layout()


def _plan(layout: Layout, name: str) -> ServicePlan:
    return next(plan for plan in layout.services if plan.name == name)


def _service(compose: dict[str, Any], name: str) -> dict[str, Any]:
    assert name in compose["services"], f"docker-compose.yml has no service {name!r}"
    found = compose["services"][name]
    assert isinstance(found, dict)
    return found


def _environment(service: dict[str, Any]) -> dict[str, str]:
    env = service.get("environment") or {}
    if isinstance(env, list):
        env = dict(item.split("=", 1) for item in env)
    return {str(key): str(value) for key, value in env.items()}


def _command(service: dict[str, Any]) -> list[str]:
    command = service.get("command")
    assert isinstance(command, list), "commands are exec-form lists, no shell in between"
    return [str(part) for part in command]


def _depends_on(service: dict[str, Any]) -> dict[str, str]:
    deps = service.get("depends_on") or {}
    if isinstance(deps, list):
        return dict.fromkeys(deps, "service_started")
    return {name: spec.get("condition", "service_started") for name, spec in deps.items()}


def _container_ports(service: dict[str, Any]) -> set[int]:
    ports: set[int] = set()
    for port in service.get("ports") or []:
        if isinstance(port, dict):
            ports.add(int(port["target"]))
        else:
            ports.add(int(str(port).rsplit(":", 1)[-1].split("/")[0]))
    return ports


def _volume_mounts(service: dict[str, Any]) -> dict[str, str]:
    """Named volume -> path in the container (short syntax)."""
    mounts = {}
    for volume in service.get("volumes") or []:
        source, target = str(volume).split(":")[:2]
        mounts[source] = target
    return mounts


def _healthcheck_text(service: dict[str, Any]) -> str:
    check = service.get("healthcheck") or {}
    test = check.get("test", [])
    return " ".join(test) if isinstance(test, list) else str(test)


def _image_services(compose: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Compose services built from deploy/Dockerfile."""
    return {
        name: svc
        for name, svc in compose["services"].items()
        if isinstance(svc.get("build"), dict)
        and svc["build"].get("dockerfile") == "deploy/Dockerfile"
    }


def _one_shot_using(compose: dict[str, Any], needle: str) -> tuple[str, dict[str, Any]]:
    for name, svc in _image_services(compose).items():
        if any(needle in part for part in _command(svc)):
            return name, svc
    raise AssertionError(f"no one-shot step in docker-compose.yml runs {needle}")


def _local_server_properties() -> dict[str, str]:
    rendered = kafka.SERVER_PROPERTIES.format(
        kafka_port=9092,
        controller_port=9093,
        data_dir="/data",
        admin_user="admin",
        jaas=kafka.JAAS.format(user="admin", password="secret"),
    )
    pairs = (
        line.split("=", 1)
        for line in rendered.splitlines()
        if line.strip() and not line.startswith("#")
    )
    return {key.strip(): value.strip() for key, value in pairs}


def _compose_broker_properties(kafka_env: dict[str, str]) -> dict[str, str]:
    """KAFKA_A_B -> a.b, as the apache/kafka image's wrapper renders server.properties."""
    props = {}
    for key, value in kafka_env.items():
        if key.startswith("KAFKA_") and key not in KAFKA_NON_PROPERTY_ENV:
            name = key.removeprefix("KAFKA_").lower().replace("_", ".")
            props[name.replace("...", "-").replace("..", "_")] = value
    return props


def _kafka_service(compose: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    for name, svc in compose["services"].items():
        if str(svc.get("image", "")).startswith("apache/kafka:"):
            return name, svc
    raise AssertionError("docker-compose.yml has no apache/kafka service")


def _postgres_service(compose: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    for name, svc in compose["services"].items():
        if str(svc.get("image", "")).startswith("postgres:"):
            return name, svc
    raise AssertionError("docker-compose.yml has no postgres service")


def _dockerfile_instructions() -> list[tuple[str, str]]:
    joined = re.sub(r"\\\n", " ", DOCKERFILE.read_text(encoding="utf-8"))
    instructions = []
    for line in joined.splitlines():
        stripped = line.strip()
        if stripped and not stripped.startswith("#"):
            word, _, rest = stripped.partition(" ")
            instructions.append((word.upper(), rest.strip()))
    return instructions


def _workspace_members() -> list[str]:
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    members = []
    for pattern in pyproject["tool"]["uv"]["workspace"]["members"]:
        for path in sorted(ROOT.glob(pattern)):
            if (path / "pyproject.toml").exists():
                members.append(path.relative_to(ROOT).as_posix())
    return members


# ---------------------------------------------------------------- services


@pytest.mark.parametrize("name", SERVICE_NAMES)
def test_a_container_runs_the_same_module_on_the_layouts_port_when_compose_starts_a_service(
    compose: dict[str, Any], container_layout: Layout, name: str
) -> None:
    plan = _plan(container_layout, name)
    service = _service(compose, name)
    assert _command(service) == ["python", "-m", plan.module]
    assert _environment(service)["GRASSROOTS_HTTP_PORT"] == str(plan.port)
    assert plan.port in _container_ports(service)


@pytest.mark.parametrize("name", SERVICE_NAMES)
def test_the_container_port_is_the_services_own_default_when_no_port_is_set(
    container_layout: Layout, name: str
) -> None:
    plan = _plan(container_layout, name)
    config = importlib.import_module(f"{plan.module}.config")
    settings_classes = [
        value
        for value in vars(config).values()
        if isinstance(value, type)
        and issubclass(value, ServiceSettings)
        and value is not ServiceSettings
    ]
    assert len(settings_classes) == 1
    assert settings_classes[0].model_fields["http_port"].default == plan.port


@pytest.mark.parametrize("name", SERVICE_NAMES)
def test_a_container_gets_the_same_grassroots_settings_as_a_local_process_when_started(
    compose: dict[str, Any], container_layout: Layout, name: str
) -> None:
    plan = _plan(container_layout, name)
    local = services.environment(container_layout, plan)
    env = _environment(_service(compose, name))

    def grassroots(keys: object) -> set[str]:
        return {k for k in keys if isinstance(k, str) and k.startswith("GRASSROOTS_")}

    assert grassroots(env) == grassroots(local)
    assert {k for k in local if not k.startswith("GRASSROOTS_")} <= set(env)
    # Addresses differ (containers reach each other by name); the rest is the same.
    for key in (
        "GRASSROOTS_SERVICE_NAME",
        "GRASSROOTS_HTTP_PORT",
        "GRASSROOTS_ROLES",
        "GRASSROOTS_JWT_PUBLIC_KEY_FILE",
        # The service's own Kafka principal, its password in the file the keys step wrote.
        "GRASSROOTS_KAFKA_SECURITY_PROTOCOL",
        "GRASSROOTS_KAFKA_SASL_MECHANISM",
        "GRASSROOTS_KAFKA_USERNAME",
        "GRASSROOTS_KAFKA_PASSWORD_FILE",
    ):
        assert env[key] == local[key], key
    assert env["GRASSROOTS_HTTP_HOST"] == "0.0.0.0"  # noqa: S104 - reachable from other containers


@pytest.mark.parametrize("name", SERVICE_NAMES)
def test_a_service_uses_its_own_database_when_it_connects_to_postgres(
    compose: dict[str, Any], container_layout: Layout, name: str
) -> None:
    pg_name, pg = _postgres_service(compose)
    pg_env = _environment(pg)
    dsn = urlsplit(_environment(_service(compose, name))["GRASSROOTS_PG_DSN"])
    local = urlsplit(postgres.service_dsn(container_layout, name))
    assert dsn.scheme == local.scheme
    assert dsn.path == local.path == f"/{name}"
    assert dsn.hostname == pg_name
    assert dsn.username == pg_env.get("POSTGRES_USER", "postgres")
    assert dsn.password == pg_env.get("POSTGRES_PASSWORD")


@pytest.mark.parametrize("name", SERVICE_NAMES)
def test_a_service_reaches_the_brokers_container_listener_when_it_connects_to_kafka(
    compose: dict[str, Any], name: str
) -> None:
    _, broker = _kafka_service(compose)
    broker_env = _environment(broker)
    internal = broker_env["KAFKA_INTER_BROKER_LISTENER_NAME"]
    advertised = dict(
        entry.split("://", 1) for entry in broker_env["KAFKA_ADVERTISED_LISTENERS"].split(",")
    )
    bootstrap = _environment(_service(compose, name))["GRASSROOTS_KAFKA_BOOTSTRAP"]
    assert bootstrap == advertised[internal]


@pytest.mark.parametrize("name", SERVICE_NAMES)
def test_a_service_is_healthy_only_when_its_readyz_answers(
    compose: dict[str, Any], container_layout: Layout, name: str
) -> None:
    plan = _plan(container_layout, name)
    check = _healthcheck_text(_service(compose, name))
    assert f"127.0.0.1:{plan.port}/readyz" in check


@pytest.mark.parametrize("name", SERVICE_NAMES)
def test_a_service_starts_after_its_database_broker_keys_and_topics_when_compose_orders_it(
    compose: dict[str, Any], name: str
) -> None:
    deps = _depends_on(_service(compose, name))
    keys_step, _ = _one_shot_using(compose, "ensure_keys")
    topics_step, _ = _one_shot_using(compose, "ALL_TOPICS")
    access_step, _ = _one_shot_using(compose, "grant_services")
    assert deps[access_step] == "service_completed_successfully"
    assert deps[_postgres_service(compose)[0]] == "service_healthy"
    assert deps[_kafka_service(compose)[0]] == "service_healthy"
    assert deps[keys_step] == "service_completed_successfully"
    assert deps[topics_step] == "service_completed_successfully"


# ---------------------------------------------------------------- one-shot steps


def test_every_contract_topic_is_created_when_the_topics_step_runs(
    compose: dict[str, Any],
) -> None:
    name, step = _one_shot_using(compose, "ALL_TOPICS")
    script = "\n".join(_command(step))
    assert "from grassroots_contracts.topics import ALL_TOPICS" in script
    assert "from grassroots_eventkit.kafka import ensure_topics" in script
    assert "ensure_topics(bootstrap, ALL_TOPICS, security=security)" in script
    assert _environment(step)["GRASSROOTS_KAFKA_USERNAME"] == keys.KAFKA_ADMIN
    assert _depends_on(step) == {_kafka_service(compose)[0]: "service_healthy"}
    bootstraps = {
        _environment(_service(compose, service))["GRASSROOTS_KAFKA_BOOTSTRAP"]
        for service in [name, *SERVICE_NAMES]
    }
    assert len(bootstraps) == 1


def test_services_read_the_public_key_the_keys_step_wrote_when_they_verify_tokens(
    compose: dict[str, Any], container_layout: Layout
) -> None:
    _, step = _one_shot_using(compose, "ensure_keys")
    script = "\n".join(_command(step))
    assert "from grassroots_stack.keys import ensure_keys" in script
    ((volume, run_dir),) = _volume_mounts(step).items()
    assert run_dir == str(container_layout.run_dir)
    for name in SERVICE_NAMES:
        service = _service(compose, name)
        assert f"{volume}:{run_dir}:ro" in service["volumes"], name
        key_file = _environment(service)["GRASSROOTS_JWT_PUBLIC_KEY_FILE"]
        assert key_file == str(container_layout.jwt_public_key)
        assert key_file.startswith(run_dir + "/")
    assert volume in compose["volumes"]


def test_the_demo_loads_through_every_services_container_address_when_compose_runs_it(
    compose: dict[str, Any], container_layout: Layout
) -> None:
    _, step = _one_shot_using(compose, "loader.load")
    script = "\n".join(_command(step))
    for plan in container_layout.services:
        assert f"http://{plan.name}:{plan.port}" in script
        assert _depends_on(step)[plan.name] == "service_healthy"


def test_every_dependency_exists_and_can_be_waited_for_when_compose_orders_startup(
    compose: dict[str, Any],
) -> None:
    all_services = compose["services"]
    for name, service in all_services.items():
        for target, condition in _depends_on(service).items():
            assert target in all_services, f"{name} depends on unknown {target}"
            target_service = all_services[target]
            if condition == "service_healthy":
                check = target_service.get("healthcheck") or {}
                assert check.get("test"), (name, target)
                assert not check.get("disable"), (name, target)
            elif condition == "service_completed_successfully":
                assert target_service.get("restart", "no") == "no", (name, target)
                assert (target_service.get("healthcheck") or {}).get("disable"), target
            else:
                pytest.fail(f"{name} -> {target}: wait for health or completion, not {condition}")

    visiting: set[str] = set()
    done: set[str] = set()

    def visit(name: str) -> None:
        assert name not in visiting, f"dependency cycle through {name}"
        if name in done:
            return
        visiting.add(name)
        for target in _depends_on(all_services[name]):
            visit(target)
        visiting.discard(name)
        done.add(name)

    for name in all_services:
        visit(name)


# ---------------------------------------------------------------- Kafka and PostgreSQL


def test_every_service_principal_is_granted_when_the_kafka_access_step_runs(
    compose: dict[str, Any],
) -> None:
    _, step = _one_shot_using(compose, "grant_services")
    script = "\n".join(_command(step))
    assert "from grassroots_stack.stack import grant_services" in script
    topics_step, topics = _one_shot_using(compose, "ALL_TOPICS")
    # As the super user the topics step uses, after the keys step wrote the passwords.
    assert _environment(step) == _environment(topics)
    assert _depends_on(step) == {
        _one_shot_using(compose, "ensure_keys")[0]: "service_completed_successfully",
        topics_step: "service_completed_successfully",
    }
    assert _volume_mounts(step)["grassroots-state"] == CONTAINER_RUN_DIR


def test_the_broker_authenticates_and_authorises_as_the_local_one_when_kafka_starts(
    compose: dict[str, Any],
) -> None:
    _, broker = _kafka_service(compose)
    env = _environment(broker)
    script = "\n".join(str(part) for part in broker["command"])
    # The JAAS login is exported by the command, under the name the image turns into
    # the local stack's property.
    exported = "KAFKA_LISTENER_NAME_SASL__PLAINTEXT_SCRAM___SHA___512_SASL_JAAS_CONFIG"
    assert f"export {exported}=" in script
    assert set(_compose_broker_properties({exported: ""})) == {
        "listener.name.sasl_plaintext.scram-sha-512.sasl.jaas.config"
    }
    assert "--add-scram" in script
    assert "exec /etc/kafka/docker/run" in script
    protocols = dict(
        entry.split(":", 1) for entry in env["KAFKA_LISTENER_SECURITY_PROTOCOL_MAP"].split(",")
    )
    # Every listener a client reaches takes SASL; only the controller's is plain.
    assert {k: v for k, v in protocols.items() if v != "SASL_PLAINTEXT"} == {
        "CONTROLLER": "PLAINTEXT"
    }
    admin_password = env["GRASSROOTS_KAFKA_ADMIN_PASSWORD"]
    _, topics = _one_shot_using(compose, "ALL_TOPICS")
    assert _environment(topics)["GRASSROOTS_KAFKA_PASSWORD"] == admin_password


def test_the_kafka_image_is_the_local_brokers_version_when_compose_pulls_it(
    compose: dict[str, Any],
) -> None:
    _, broker = _kafka_service(compose)
    assert broker["image"] == f"apache/kafka:{KAFKA_VERSION}"


def test_the_broker_settings_equal_the_local_server_properties_when_kafka_starts(
    compose: dict[str, Any],
) -> None:
    _, broker = _kafka_service(compose)
    broker_env = _environment(broker)
    props = _compose_broker_properties(broker_env)
    local = _local_server_properties()
    for key in (
        "offsets.topic.replication.factor",
        "transaction.state.log.replication.factor",
        "default.replication.factor",
        "group.initial.rebalance.delay.ms",
        "auto.create.topics.enable",
        "log.retention.hours",
    ):
        assert key in local, f"{key} left the local stack's SERVER_PROPERTIES"
    for key, value in local.items():
        if key not in KAFKA_CONTAINER_SPECIFIC:
            assert props.get(key) == value, key
    local_map = set(local["listener.security.protocol.map"].split(","))
    assert local_map <= set(props["listener.security.protocol.map"].split(","))
    assert broker_env["KAFKA_HEAP_OPTS"] == " ".join(kafka.HEAP)


def test_the_postgres_settings_equal_the_local_server_settings_when_postgres_starts(
    compose: dict[str, Any],
) -> None:
    _, pg = _postgres_service(compose)
    command = _command(pg)
    assert command[0] == "postgres"
    settings = dict(command[i + 1].split("=", 1) for i, part in enumerate(command) if part == "-c")
    for key, value in postgres.SERVER_SETTINGS.items():
        if key in PG_CONTAINER_SPECIFIC:
            assert key not in settings, key
        else:
            assert settings.get(key) == value.strip("'"), key


# ---------------------------------------------------------------- the image


def test_the_image_installs_the_locked_workspace_as_a_non_root_user_when_built() -> None:
    instructions = _dockerfile_instructions()
    runs = [rest for word, rest in instructions if word == "RUN"]
    syncs = [run for run in runs if "uv sync" in run]
    assert syncs, "the image is built with uv sync"
    for sync in syncs:
        for flag in ("--frozen", "--all-packages", "--no-dev"):
            assert flag in sync, (flag, sync)
    users = [rest for word, rest in instructions if word == "USER"]
    assert users, "the image sets a USER"
    assert users[-1].split(":")[0] not in {"root", "0"}
    (healthcheck,) = [rest for word, rest in instructions if word == "HEALTHCHECK"]
    assert "/healthz" in healthcheck
    cmd = [rest for word, rest in instructions if word == "CMD"]
    assert cmd, "the image's default command prints its usage"


def test_the_image_sets_the_container_layout_when_a_service_starts(
    container_layout: Layout,
) -> None:
    env = " ".join(rest for word, rest in _dockerfile_instructions() if word == "ENV")
    assert f"GRASSROOTS_RUN_DIR={container_layout.run_dir}" in env
    assert f"GRASSROOTS_ROOT={container_layout.root}" in env
    assert "GRASSROOTS_HTTP_HOST=0.0.0.0" in env
    assert "PYTHONUNBUFFERED=1" in env
    runs = " ".join(rest for word, rest in _dockerfile_instructions() if word == "RUN")
    assert f"mkdir -p {container_layout.keys}" in runs


def test_every_workspace_member_goes_into_the_image_when_built() -> None:
    copies = [rest.split() for word, rest in _dockerfile_instructions() if word == "COPY"]
    sources = [copy[0].rstrip("/") for copy in copies if not copy[0].startswith("--")]
    allowed = [
        line[1:].rstrip("/")
        for line in DOCKERIGNORE.read_text(encoding="utf-8").splitlines()
        if line.startswith("!")
    ]

    def within(path: str, folder: str) -> bool:
        return path == folder or path.startswith(folder + "/")

    members = _workspace_members()
    assert members
    for member in members:
        # Its manifest before the dependency layer, its sources after it.
        assert f"{member}/pyproject.toml" in sources, member
        assert any(within(member, source) for source in sources), member
        assert any(within(member, folder) for folder in allowed), member
