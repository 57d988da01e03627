"""deploy/k8s renders, and what it renders agrees with the code and with itself.

The base and the county overlay are rendered with the real kustomize (kubectl's, see
grassroots_stack.k8s), offline. Core objects are validated against the Kubernetes
OpenAPI schemas that kubernetes-validate ships; the operators' resources (Strimzi,
CloudNativePG) have no schema here, so their fields are checked one by one below.
The services' topics, consumer groups, ports, settings and modules come from the code,
never from a copy of it.
"""

from __future__ import annotations

import copy
import importlib
import importlib.util
import json
import re
import types
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from grassroots_contracts.topics import ALL_TOPICS, dead_letter_topic
from grassroots_eventkit import metrics
from grassroots_eventkit.settings import ServiceSettings
from grassroots_stack import k8s
from grassroots_stack.layout import KAFKA_VERSION
from kubernetes_validate import utils as k8s_schemas
from projections_service import cli as projections_cli
from projections_service.views.registry import VIEWS
from referencing import Registry, Resource
from requests_service import cli as requests_cli

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[2]
TARGETS = (k8s.BASE, *k8s.OVERLAYS)
SERVICES = ("organisation", "requests", "volunteering", "points", "projections")
# The Kubernetes version whose schemas the core objects must satisfy: the oldest one
# still supported upstream that the manifests are written for.
K8S_VERSION = "1.32.0"

# Secrets and ConfigMaps that the render refers to but does not contain, and who makes them.
# Made by the operators from resources in the render (checked against those resources):
#   <Cluster>-app   CloudNativePG, for each postgresql.cnpg.io Cluster (key `uri`)
#   <KafkaUser>     Strimzi's user operator, for each KafkaUser (key `password`)
# Made by the site before the first apply (docs/kubernetes.md), never committed:
SITE_PROVIDED = {
    ("ConfigMap", "grassroots-jwt-public-key"): {"jwt-ed25519.pub.pem"},
    # previous-master-key: only while a master key rotation runs (optional references)
    ("Secret", "grassroots-personal-data"): {"master-key", "previous-master-key"},
    ("Secret", "grassroots-open311-keys"): {"keys.json"},
}

# The Kafka client's SASL settings and the personal-data master key are being added to
# the settings on other branches; until then the services ignore these (extra="ignore").
# Their names live here and in deploy/k8s only: rename them in both when those land.
KAFKA_AUTH = {
    "protocol": "GRASSROOTS_KAFKA_SECURITY_PROTOCOL",
    "mechanism": "GRASSROOTS_KAFKA_SASL_MECHANISM",
    "username": "GRASSROOTS_KAFKA_USERNAME",
    "password": "GRASSROOTS_KAFKA_PASSWORD",
}
MASTER_KEY = "GRASSROOTS_PERSONAL_DATA_KEY"
PREVIOUS_MASTER_KEY = "GRASSROOTS_PERSONAL_DATA_PREVIOUS_KEY"
PENDING_SETTINGS: set[str] = set()
NOT_SETTINGS = {"PYTHONUNBUFFERED"}

DNS_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$")
DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")
CORE_GROUPS = {"v1", "apps/v1", "batch/v1", "policy/v1", "autoscaling/v2"}

Obj = dict[str, Any]


# --- rendering and lookups -----------------------------------------------------------


@cache
def _rendered(target: str) -> list[Obj]:
    text = k8s.render(k8s.target_dir(ROOT, target))
    return [d for d in yaml.load_all(text, Loader=yaml.CSafeLoader) if d is not None]


def objects(target: str) -> list[Obj]:
    """A fresh copy each call: tests may not change each other's input."""
    return copy.deepcopy(_rendered(target))


@cache
def _schema(path: str) -> Any:
    return k8s_schemas.schema_contents(
        f"kubernetes-json-schema/v{K8S_VERSION}-local-strict/{path}", K8S_VERSION
    )


@cache
def schema_validator(api_version: str, kind: str) -> jsonschema.Draft202012Validator:
    """kubernetes_validate.validate(strict=True), with the 1 MB of shared definitions read
    once rather than once per object. Strict: an unknown field is an error."""
    group = re.sub(r"^([^./]*)(?:\.[^/]*)?/", r"\1-", api_version)
    schema = _schema(f"{kind.lower()}-{group}.json")
    registry = Resource.from_contents(_schema("_definitions.json")) @ (
        Resource.from_contents(schema) @ Registry()
    )
    return jsonschema.Draft202012Validator(schema, registry=registry)


def of_kind(objs: list[Obj], kind: str) -> list[Obj]:
    return [o for o in objs if o["kind"] == kind]


def named(objs: list[Obj], kind: str, name: str) -> Obj:
    found = [o for o in of_kind(objs, kind) if o["metadata"]["name"] == name]
    assert len(found) == 1, f"{kind}/{name}: {len(found)} in the render"
    return found[0]


def matches(selector: dict[str, str], labels: dict[str, str]) -> bool:
    return bool(selector) and all(labels.get(k) == v for k, v in selector.items())


def pod_specs(objs: list[Obj]) -> Iterator[tuple[Obj, Obj]]:
    """(owner, pod spec) for every Deployment and CronJob."""
    for o in objs:
        if o["kind"] == "Deployment":
            yield o, o["spec"]["template"]["spec"]
        elif o["kind"] == "CronJob":
            yield o, o["spec"]["jobTemplate"]["spec"]["template"]["spec"]


def service_of(o: Obj) -> str:
    name: str = o["metadata"]["labels"]["app.kubernetes.io/name"]
    return name


def env_of(objs: list[Obj], container: Obj) -> dict[str, str]:
    """The container's plain environment: its ConfigMaps' data, then its own values."""
    env: dict[str, str] = {}
    for source in container.get("envFrom", []):
        env.update(named(objs, "ConfigMap", source["configMapRef"]["name"])["data"])
    for var in container.get("env", []):
        if "value" in var:
            env[var["name"]] = var["value"]
    return env


def secret_ref(container: Obj, name: str) -> dict[str, Any]:
    for var in container.get("env", []):
        if var["name"] == name:
            ref: dict[str, Any] = var["valueFrom"]["secretKeyRef"]
            return ref
    raise AssertionError(f"container {container['name']} has no {name} from a Secret")


def only_container(pod: Obj) -> Obj:
    assert len(pod["containers"]) == 1
    container: Obj = pod["containers"][0]
    return container


# --- the services as the code defines them ---------------------------------------------


def settings_class(service: str) -> type[ServiceSettings]:
    config = importlib.import_module(f"{service}_service.config")
    found = [
        v
        for v in vars(config).values()
        if isinstance(v, type) and issubclass(v, ServiceSettings) and v is not ServiceSettings
    ]
    assert len(found) == 1, found
    return found[0]


@cache
def service_spec(service: str) -> Any:
    app = importlib.import_module(f"{service}_service.app")
    settings = settings_class(service)(pg_dsn="postgresql://k8s-test/none")  # type: ignore[call-arg]
    return app.spec() if service == "projections" else app.spec(settings)


@cache
def consumer_groups(service: str) -> dict[str, tuple[str, ...]]:
    """Each consumer group of the service and the topics it reads, from its projectors.
    The stand-in runtime is enough for the projectors to be built, never run."""
    settings = settings_class(service)(pg_dsn="postgresql://k8s-test/none")  # type: ignore[call-arg]
    rt = types.SimpleNamespace(
        extras={}, store=None, pool=None, settings=settings, source=lambda: None
    )
    return {p.group: tuple(p.topics) for p in service_spec(service).projectors(rt)}


def produced(service: str) -> set[str]:
    return {t.name for t in service_spec(service).produces}


# --- every object ----------------------------------------------------------------------


@pytest.mark.parametrize("target", TARGETS)
def test_every_object_has_a_kind_a_valid_name_and_is_unique(target: str) -> None:
    objs = objects(target)
    assert len(objs) > 50
    seen: set[tuple[str, str]] = set()
    for o in objs:
        assert o.get("apiVersion"), o
        assert o.get("kind"), o
        name = o.get("metadata", {}).get("name", "")
        pattern = DNS_LABEL if o["kind"] in {"Service", "Namespace"} else DNS_SUBDOMAIN
        assert pattern.match(name), f"{o['kind']} name {name!r}"
        assert (o["kind"], name) not in seen, f"two {o['kind']}/{name}"
        seen.add((o["kind"], name))
        labels = o["metadata"].get("labels", {})
        assert labels.get("app.kubernetes.io/part-of") == "grassroots", f"{o['kind']}/{name}"


@pytest.mark.parametrize("target", TARGETS)
def test_core_objects_satisfy_the_kubernetes_schemas(target: str) -> None:
    core = [o for o in objects(target) if o["apiVersion"] in CORE_GROUPS]
    assert {o["kind"] for o in core} >= {
        "ConfigMap",
        "Deployment",
        "Service",
        "PodDisruptionBudget",
        "HorizontalPodAutoscaler",
        "CronJob",
    }
    for o in core:
        try:
            schema_validator(o["apiVersion"], o["kind"]).validate(o)
        except jsonschema.ValidationError as exc:
            where = "/".join(str(p) for p in exc.path)
            pytest.fail(f"{o['kind']}/{o['metadata']['name']} at {where}: {exc.message}")


def test_the_schema_check_rejects_an_unknown_field() -> None:
    """Strict validation is what catches a misspelt field, which Kubernetes would drop."""
    deployment = named(objects(k8s.BASE), "Deployment", "requests-api")
    deployment["spec"]["template"]["spec"]["containers"][0]["readinessProbe"]["httpGett"] = {}
    validator = schema_validator(deployment["apiVersion"], deployment["kind"])
    with pytest.raises(jsonschema.ValidationError, match="httpGett"):
        validator.validate(deployment)


@pytest.mark.parametrize("target", TARGETS)
def test_every_reference_resolves(target: str) -> None:
    """ConfigMaps and Secrets in env, envFrom and volumes exist in the render, are made
    by an operator from a resource in the render, or are listed as the site's to make."""
    objs = objects(target)
    present: dict[tuple[str, str], set[str] | None] = {
        ("ConfigMap", o["metadata"]["name"]): set(o.get("data", {}))
        for o in of_kind(objs, "ConfigMap")
    }
    for cluster in of_kind(objs, "Cluster"):
        present["Secret", cluster["metadata"]["name"] + "-app"] = {"uri", "username", "password"}
    for user in of_kind(objs, "KafkaUser"):
        present["Secret", user["metadata"]["name"]] = {"password", "sasl.jaas.config"}
    for key, keys in SITE_PROVIDED.items():
        assert key not in present, f"{key} is in the render: drop it from SITE_PROVIDED"
        present[key] = keys

    def check(kind: str, name: str, key: str | None) -> None:
        assert (kind, name) in present, f"{kind}/{name} is neither rendered nor made by anyone"
        if key is not None:
            keys = present[kind, name]
            assert keys is not None
            assert key in keys, f"{kind}/{name} has no key {key!r}"

    used: set[tuple[str, str]] = set()
    for owner, pod in pod_specs(objs):
        for container in pod["containers"]:
            for source in container.get("envFrom", []):
                check("ConfigMap", source["configMapRef"]["name"], None)
                used.add(("ConfigMap", source["configMapRef"]["name"]))
            for var in container.get("env", []):
                ref = var.get("valueFrom", {})
                for field, kind in (("secretKeyRef", "Secret"), ("configMapKeyRef", "ConfigMap")):
                    if field in ref:
                        check(kind, ref[field]["name"], ref[field]["key"])
                        used.add((kind, ref[field]["name"]))
        for volume in pod.get("volumes", []):
            if "configMap" in volume:
                check("ConfigMap", volume["configMap"]["name"], None)
                used.add(("ConfigMap", volume["configMap"]["name"]))
            if "secret" in volume:
                check("Secret", volume["secret"]["secretName"], None)
                used.add(("Secret", volume["secret"]["secretName"]))
        assert owner["metadata"]["name"]
    assert set(SITE_PROVIDED) <= used, "a site-provided object nothing uses"
    mounted = {
        m["mountPath"]
        for _, pod in pod_specs(objs)
        for c in pod["containers"]
        for m in c.get("volumeMounts", [])
    }
    key_file = named(objs, "ConfigMap", "grassroots-common")["data"][
        "GRASSROOTS_JWT_PUBLIC_KEY_FILE"
    ]
    folder, file = key_file.rsplit("/", 1)
    assert folder in mounted
    assert file in SITE_PROVIDED["ConfigMap", "grassroots-jwt-public-key"]


# --- Deployments, Services, disruption budgets and autoscalers -------------------------


@pytest.mark.parametrize("target", TARGETS)
def test_each_service_has_an_api_and_a_worker_deployment(target: str) -> None:
    objs = objects(target)
    deployments = {d["metadata"]["name"]: d for d in of_kind(objs, "Deployment")}
    assert set(deployments) == {f"{s}-{c}" for s in SERVICES for c in ("api", "worker")}
    for service in SERVICES:
        roles: set[str] = set()
        for component in ("api", "worker"):
            container = only_container(
                deployments[f"{service}-{component}"]["spec"]["template"]["spec"]
            )
            assert container["command"] == ["python", "-m", f"{service}_service"]
            assert importlib.util.find_spec(f"{service}_service.__main__") is not None
            own = set(json.loads(env_of(objs, container)["GRASSROOTS_ROLES"]))
            assert own <= {"api", "relay", "consumer"}
            assert ("api" in own) == (component == "api"), f"{service}-{component}: {own}"
            roles |= own
        # Together the two run everything: the relay wherever the service publishes.
        expected = {"api", "consumer"} | ({"relay"} if produced(service) else set())
        assert roles == expected, service


@pytest.mark.parametrize("target", TARGETS)
def test_selectors_match_their_pods(target: str) -> None:
    objs = objects(target)
    deployments = of_kind(objs, "Deployment")
    for d in deployments:
        selector = d["spec"]["selector"]["matchLabels"]
        assert matches(selector, d["spec"]["template"]["metadata"]["labels"]), d
        others = [
            o["metadata"]["name"]
            for o in deployments
            if o is not d and matches(selector, o["spec"]["template"]["metadata"]["labels"])
        ]
        assert not others, f"{d['metadata']['name']} selects the pods of {others}"
    for svc in of_kind(objs, "Service"):
        selected = [
            d
            for d in deployments
            if matches(svc["spec"]["selector"], d["spec"]["template"]["metadata"]["labels"])
        ]
        assert [d["metadata"]["name"] for d in selected] == [svc["metadata"]["name"] + "-api"]
        container = only_container(selected[0]["spec"]["template"]["spec"])
        names = {p["name"] for p in container["ports"]}
        for port in svc["spec"]["ports"]:
            assert port["targetPort"] in names
    for pdb in of_kind(objs, "PodDisruptionBudget"):
        assert pdb["spec"]["minAvailable"] == 1
        selector = pdb["spec"]["selector"]["matchLabels"]
        selected = [
            d for d in deployments if matches(selector, d["spec"]["template"]["metadata"]["labels"])
        ]
        assert [d["metadata"]["name"] for d in selected] == [pdb["metadata"]["name"]]
        # minAvailable 1 of a single replica would block every node drain.
        assert selected[0]["spec"]["replicas"] >= 2
    assert len(of_kind(objs, "PodDisruptionBudget")) == len(deployments)


@pytest.mark.parametrize("target", TARGETS)
def test_autoscalers_target_deployments_and_stay_within_the_partitions(target: str) -> None:
    objs = objects(target)
    partitions = min(
        t["spec"]["partitions"]
        for t in of_kind(objs, "KafkaTopic")
        if t["metadata"]["labels"]["grassroots.topic-kind"] == "events"
    )
    hpas = of_kind(objs, "HorizontalPodAutoscaler")
    assert len(hpas) == len(of_kind(objs, "Deployment"))
    for hpa in hpas:
        ref = hpa["spec"]["scaleTargetRef"]
        assert ref["kind"] == "Deployment"
        deployment = named(objs, "Deployment", ref["name"])
        assert hpa["metadata"]["name"] == ref["name"]
        assert 2 <= hpa["spec"]["minReplicas"] <= hpa["spec"]["maxReplicas"]
        assert hpa["spec"]["minReplicas"] <= deployment["spec"]["replicas"]
        by_type = {m["type"]: m for m in hpa["spec"]["metrics"]}
        assert by_type["Resource"]["resource"]["name"] == "cpu"
        if ref["name"].endswith("-worker"):
            assert by_type["Pods"]["pods"]["metric"]["name"] == metrics.CONSUMER_LAG._name
            assert hpa["spec"]["maxReplicas"] <= partitions, ref["name"]
        else:
            assert set(by_type) == {"Resource"}


@pytest.mark.parametrize("target", TARGETS)
def test_every_container_has_probes_resources_and_runs_locked_down(target: str) -> None:
    objs = objects(target)
    for owner, pod in pod_specs(objs):
        where = f"{owner['kind']}/{owner['metadata']['name']}"
        assert pod["securityContext"]["runAsNonRoot"] is True, where
        assert pod["securityContext"]["runAsUser"] == 10001, where  # deploy/Dockerfile USER
        assert pod["automountServiceAccountToken"] is False, where
        container = only_container(pod)
        for kind in ("requests", "limits"):
            assert set(container["resources"][kind]) == {"cpu", "memory"}, where
        sc = container["securityContext"]
        assert sc["readOnlyRootFilesystem"] is True, where
        assert sc["allowPrivilegeEscalation"] is False, where
        assert sc["capabilities"]["drop"] == ["ALL"], where
        if owner["kind"] != "Deployment":
            continue
        service = service_of(owner)
        port = settings_class(service).model_fields["http_port"].default
        assert env_of(objs, container)["GRASSROOTS_HTTP_PORT"] == str(port), where
        assert container["ports"] == [{"name": "http", "containerPort": port}], where
        for probe, path in (
            ("livenessProbe", "/healthz"),
            ("readinessProbe", "/readyz"),
            ("startupProbe", "/healthz"),
        ):
            get = container[probe]["httpGet"]
            assert (get["path"], get["port"]) == (path, "http"), f"{where} {probe}"
        if owner["metadata"]["name"].endswith("-api"):
            # Serving until the endpoints have let go, inside the grace period.
            pause = container["lifecycle"]["preStop"]["sleep"]["seconds"]
            assert pause + 20 < pod["terminationGracePeriodSeconds"], where
        annotations = owner["spec"]["template"]["metadata"]["annotations"]
        assert annotations["prometheus.io/port"] == str(port), where


@pytest.mark.parametrize("target", TARGETS)
def test_every_setting_is_one_the_service_reads(target: str) -> None:
    """A misspelt GRASSROOTS_* name is silently ignored by the settings: not here."""
    objs = objects(target)
    for owner, pod in pod_specs(objs):
        service = service_of(owner)
        fields = {"GRASSROOTS_" + f.upper() for f in settings_class(service).model_fields}
        container = only_container(pod)
        names = set(env_of(objs, container)) | {v["name"] for v in container.get("env", [])}
        unknown = names - fields - PENDING_SETTINGS - NOT_SETTINGS
        assert not unknown, f"{owner['metadata']['name']}: {sorted(unknown)}"
        env = env_of(objs, container)
        assert env["GRASSROOTS_SERVICE_NAME"] == service
        # The operators make databases and topics; the services may not.
        assert env["GRASSROOTS_CREATE_DATABASE"] == "false"
        assert env["GRASSROOTS_CREATE_TOPICS"] == "false"
        assert secret_ref(container, "GRASSROOTS_PG_DSN") == {
            "name": f"{service}-db-app",
            "key": "uri",
        }
        if service == "requests" and owner["kind"] == "Deployment":
            assert secret_ref(container, MASTER_KEY)["name"] == "grassroots-personal-data"


# --- Kafka: the cluster, topics and users ----------------------------------------------


@pytest.mark.parametrize("target", TARGETS)
def test_the_kafka_cluster_matches_the_clients(target: str) -> None:
    objs = objects(target)
    [kafka] = of_kind(objs, "Kafka")
    name = kafka["metadata"]["name"]
    assert kafka["spec"]["kafka"]["version"] == KAFKA_VERSION
    assert kafka["spec"]["kafka"]["config"]["auto.create.topics.enable"] is False
    assert kafka["spec"]["kafka"]["authorization"]["type"] == "simple"
    # The v1 API: Strimzi 0.49 serves it, 1.0 and later serve nothing else.
    assert {o["apiVersion"] for o in objs if "strimzi" in o["apiVersion"]} == {
        "kafka.strimzi.io/v1"
    }
    [pool] = of_kind(objs, "KafkaNodePool")
    assert set(pool["spec"]["roles"]) == {"controller", "broker"}
    assert pool["spec"]["replicas"] >= 3
    [listener] = kafka["spec"]["kafka"]["listeners"]
    common = named(objs, "ConfigMap", "grassroots-common")["data"]
    assert common["GRASSROOTS_KAFKA_BOOTSTRAP"] == f"{name}-kafka-bootstrap:{listener['port']}"
    assert listener["tls"] is False
    assert common[KAFKA_AUTH["protocol"]] == "SASL_PLAINTEXT"
    assert listener["authentication"]["type"] == "scram-sha-512"
    assert common[KAFKA_AUTH["mechanism"]] == "SCRAM-SHA-512"
    for o in [pool, *of_kind(objs, "KafkaTopic"), *of_kind(objs, "KafkaUser")]:
        assert o["metadata"]["labels"]["strimzi.io/cluster"] == name, o["metadata"]["name"]
    replicas = {t["spec"]["replicas"] for t in of_kind(objs, "KafkaTopic")}
    assert replicas == {3}
    assert kafka["spec"]["kafka"]["config"]["min.insync.replicas"] == 2


@pytest.mark.parametrize("target", TARGETS)
def test_every_topic_in_the_contracts_and_every_dead_letter_topic_exists(target: str) -> None:
    objs = objects(target)
    topics = {t["spec"]["topicName"]: t for t in of_kind(objs, "KafkaTopic")}
    for t in topics.values():
        assert t["metadata"]["name"] == t["spec"]["topicName"].replace("_", "-")
    for spec in ALL_TOPICS:
        topic = topics.pop(spec.name)
        assert topic["spec"]["config"]["retention.ms"] == spec.retention_ms
        assert topic["metadata"]["labels"]["grassroots.topic-kind"] == "events"
        if target == k8s.BASE:
            assert topic["spec"]["partitions"] == spec.partitions
    for service in SERVICES:
        for group in consumer_groups(service):
            topic = topics.pop(dead_letter_topic(group))
            assert topic["spec"]["partitions"] == 1
            assert topic["metadata"]["labels"]["grassroots.topic-kind"] == "dead-letter"
    assert not topics, f"topics nothing produces: {sorted(topics)}"


def _allowed(acls: list[Obj], kind: str, name: str, operation: str) -> bool:
    for acl in acls:
        resource = acl["resource"]
        if resource["type"] != kind or operation not in acl["operations"]:
            continue
        if resource["patternType"] == "literal" and resource["name"] == name:
            return True
        if resource["patternType"] == "prefix" and name.startswith(resource["name"]):
            return True
    return False


@pytest.mark.parametrize("target", TARGETS)
def test_each_service_has_a_kafka_user_with_least_privilege(target: str) -> None:
    objs = objects(target)
    topic_names = {t["spec"]["topicName"] for t in of_kind(objs, "KafkaTopic")}
    users = {u["metadata"]["name"]: u for u in of_kind(objs, "KafkaUser")}
    assert set(users) == {f"grassroots-{s}" for s in SERVICES}
    for service in SERVICES:
        user = users[f"grassroots-{service}"]
        assert user["spec"]["authentication"]["type"] == "scram-sha-512"
        acls = user["spec"]["authorization"]["acls"]
        groups = consumer_groups(service)
        writes = set(produced(service)) | {dead_letter_topic(g) for g in groups}
        reads = {t for topics in groups.values() for t in topics}
        for topic in sorted(topic_names):
            assert _allowed(acls, "topic", topic, "Write") == (topic in writes), (service, topic)
            assert _allowed(acls, "topic", topic, "Read") == (topic in reads), (service, topic)
        for group in groups:
            assert _allowed(acls, "group", group, "Read"), (service, group)
            assert _allowed(acls, "group", group + "-blue", "Read"), "a group suffix"
        for other in SERVICES:
            for group in consumer_groups(other) if other != service else {}:
                assert not _allowed(acls, "group", group, "Read"), (service, group)
        # The identity the pods use is this user, with the password Strimzi made for it.
        for owner, pod in pod_specs(objs):
            if service_of(owner) != service:
                continue
            container = only_container(pod)
            assert env_of(objs, container)[KAFKA_AUTH["username"]] == user["metadata"]["name"]
            assert secret_ref(container, KAFKA_AUTH["password"]) == {
                "name": user["metadata"]["name"],
                "key": "password",
            }


# --- PostgreSQL ------------------------------------------------------------------------


@pytest.mark.parametrize("target", TARGETS)
def test_each_service_has_its_own_postgres_cluster(target: str) -> None:
    objs = objects(target)
    clusters = {c["metadata"]["name"]: c for c in of_kind(objs, "Cluster")}
    assert set(clusters) == {f"{s}-db" for s in SERVICES}
    for service in SERVICES:
        cluster = clusters[f"{service}-db"]
        assert cluster["apiVersion"] == "postgresql.cnpg.io/v1"
        assert cluster["spec"]["bootstrap"]["initdb"] == {"database": service, "owner": service}
        assert cluster["spec"]["instances"] >= 2
        assert cluster["spec"]["imageName"].endswith(":15")
        assert set(cluster["spec"]["resources"]["limits"]) == {"cpu", "memory"}


# --- the rebuild Job -------------------------------------------------------------------


@pytest.mark.parametrize("target", TARGETS)
def test_the_rebuild_job_template_runs_the_projections_rebuild(target: str) -> None:
    objs = objects(target)
    cron = named(objs, "CronJob", "projections-rebuild")
    assert cron["spec"]["suspend"] is True  # a template: never runs on a schedule
    job = cron["spec"]["jobTemplate"]["spec"]
    assert job["backoffLimit"] == 0
    container = only_container(job["template"]["spec"])
    command = container["command"] + container.get("args", [])
    assert command[:3] == ["python", "-m", "projections_service"]
    # The arguments docs/kubernetes.md adds for one view parse as the CLI's.
    for view in VIEWS:
        args = projections_cli.parser().parse_args([*command[3:], "--view", view.name])
        assert (args.command, args.view) == ("rebuild", [view.name])
    api = only_container(named(objs, "Deployment", "projections-api")["spec"]["template"]["spec"])
    assert container["image"] == api["image"]
    assert container["envFrom"] == api["envFrom"]


@pytest.mark.parametrize("target", TARGETS)
def test_the_key_rotation_job_template_runs_with_both_master_keys(target: str) -> None:
    objs = objects(target)
    cron = named(objs, "CronJob", "requests-rotate-master-key")
    assert cron["spec"]["suspend"] is True
    job = cron["spec"]["jobTemplate"]["spec"]
    assert job["backoffLimit"] == 0
    container = only_container(job["template"]["spec"])
    command = container["command"] + container.get("args", [])
    assert command[:3] == ["python", "-m", "requests_service"]
    assert requests_cli.parser().parse_args(command[3:]).command == "rotate-master-key"
    assert secret_ref(container, MASTER_KEY)["key"] == "master-key"
    assert secret_ref(container, PREVIOUS_MASTER_KEY)["key"] == "previous-master-key"
    api = only_container(named(objs, "Deployment", "requests-api")["spec"]["template"]["spec"])
    assert container["image"] == api["image"]
    assert container["envFrom"] == api["envFrom"]
    # the pods hold the previous key too while a rotation runs (ADR 0021)
    for name in ("requests-api", "requests-worker"):
        deployment = named(objs, "Deployment", name)
        pod = only_container(deployment["spec"]["template"]["spec"])
        assert secret_ref(pod, PREVIOUS_MASTER_KEY) == {
            "name": "grassroots-personal-data",
            "key": "previous-master-key",
            "optional": True,
        }


# --- the county overlay ----------------------------------------------------------------


def test_the_county_overlay_changes_what_it_says_and_nothing_else() -> None:
    base = {(o["kind"], o["metadata"]["name"]): o for o in objects(k8s.BASE)}
    county = {(o["kind"], o["metadata"]["name"]): o for o in objects("county")}
    assert set(county) - set(base) == {("Namespace", "grassroots")}
    assert set(base) <= set(county)
    for (kind, name), o in county.items():
        if kind != "Namespace":
            assert o["metadata"]["namespace"] == "grassroots", (kind, name)
            assert o["metadata"]["labels"]["app.kubernetes.io/instance"] == "dongan"
    for key, b in base.items():
        c = county[key]
        kind, name = key
        if kind == "Deployment":
            bc = only_container(b["spec"]["template"]["spec"])
            cc = only_container(c["spec"]["template"]["spec"])
            assert cc["image"] == "registry.example.org/grassroots/services:0.1.0"
            assert bc["image"] == "grassroots-services:local"
            assert cc["resources"] != bc["resources"], name
            assert c["spec"]["replicas"] == (3 if name.endswith("-api") else 2)
            # The patch replaced only the resources: env, probes and mounts are the base's.
            strip = ("image", "resources")
            assert {k: v for k, v in cc.items() if k not in strip} == {
                k: v for k, v in bc.items() if k not in strip
            }
        elif kind == "KafkaTopic" and b["metadata"]["labels"]["grassroots.topic-kind"] == "events":
            assert (b["spec"]["partitions"], c["spec"]["partitions"]) == (24, 12)
        elif kind == "HorizontalPodAutoscaler":
            assert c["spec"]["maxReplicas"] > b["spec"]["maxReplicas"]
        elif kind == "Cluster":
            assert (b["spec"]["instances"], c["spec"]["instances"]) == (2, 3)
        else:
            assert c["spec" if "spec" in c else "metadata"] is not None
            if kind in {"ConfigMap", "Service", "PodDisruptionBudget", "KafkaUser", "Kafka"}:
                for part in ("spec", "data"):
                    assert c.get(part) == b.get(part), (kind, name, part)
