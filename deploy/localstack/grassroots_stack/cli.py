"""`grassroots`: the local stack, tokens and benchmarks.

grassroots stack up [--no-demo | --demo-once | --demo-scale S]   start everything, load the demo
grassroots stack down                               stop exactly what `up` started
grassroots stack ps                                 what runs, with health
grassroots stack test [--demo-scale S] [-- ARGS]    up, pytest ARGS, down if this started it
grassroots projections rebuild [--view NAME]        replay views into fresh tables, then swap
grassroots keys rotate                              a new personal-data master key, data re-wrapped
grassroots token --role R [--county C] [--community ID_OR_NAME ...] [--subject ID_OR_ROLE]
grassroots bench store                              write-path, relay and consumer figures
grassroots bench key-rotation [--keys N]           rotate-master-key speed, scratch database
grassroots bench e2e [--quick]                      the county mix at rising rates, end to end
grassroots chaos [--quick] [--scenario NAME ...]    faults under load; nothing lost or doubled?
grassroots capacity simulate [--communities N] [--days D] [--quick]   province-scale projections
grassroots capacity double-report [--quick]         the overview's double report at province scale
grassroots capacity report [--quick]                county and province figures, as markdown
grassroots agencies add|rotate|remove NAME [--actor WHO]   an outside agency's Kafka access
grassroots agencies list | log                      who may read the public topics, and history
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from datetime import timedelta

import structlog
from confluent_kafka import KafkaException
from rich.console import Console
from rich.table import Table

from grassroots_stack import agencies, k8s, key_rotation, keys, services, stack
from grassroots_stack.demo import dongan
from grassroots_stack.kafka_access import KafkaAccess, public_topics
from grassroots_stack.layout import Layout, load_layout

console = Console(stderr=True)


def _configure_logs() -> None:
    structlog.configure(
        processors=[
            structlog.processors.add_log_level,
            structlog.dev.ConsoleRenderer(colors=sys.stderr.isatty()),
        ],
        logger_factory=structlog.PrintLoggerFactory(sys.stderr),
    )


def _print_urls(state: dict[str, object]) -> None:
    table = Table(title="Grassroots local stack", show_lines=False)
    table.add_column("part")
    table.add_column("address")
    services = state["services"]
    assert isinstance(services, dict)
    for name, info in services.items():
        table.add_row(name, f"{info['url']}  (OpenAPI: {info['url']}/docs)")
    table.add_row("kafka", str(state["kafka"]))
    table.add_row("postgres", str(state["postgres"]))
    if "projections" in services:
        table.add_row("dashboard", f"{services['projections']['url']}/dashboard")
    console.print(table)
    console.print(
        "state for scripts: .run/services.json · logs: .run/logs/ · "
        "token: make token ROLE=county_admin · the dashboard takes it as #token=<token>"
    )


def cmd_up(args: argparse.Namespace) -> int:
    layout = load_layout()
    # Benchmarks and chaos runs add to the county; loading the demo again on top of
    # their traffic would replan it on figures they moved.
    demo = not args.no_demo and not (args.demo_once and stack.demo_loaded(layout))
    result = stack.up(layout, demo=demo, demo_scale=args.demo_scale)
    if result.started:
        console.print(f"started: {', '.join(result.started)}")
    else:
        console.print("already running; nothing started")
    _print_urls(result.state)
    _print_demo(result.state)
    return 0


def _print_demo(state: dict[str, object]) -> None:
    demo = state.get("demo")
    if not isinstance(demo, dict) or "counts" not in demo:
        return
    counts, load = demo["counts"], demo["load"]
    console.print(
        f"demo {demo['county']} (seed {demo['seed']}, scale {demo['sizes']['scale']}): "
        f"{counts['communities']} communities, {counts['compounds']} compounds, "
        f"{counts['buildings']} buildings, {counts['households']} households, "
        f"{counts['members']} members ({counts['in_service_members']} in service), "
        f"{counts['unit_orgs']} unit organisations · "
        + (
            "already loaded"
            if load["already_loaded"]
            else f"{load['requests']} HTTP calls in {load['seconds']} s "
            f"({load['requests_per_second']}/s, {load['replayed']} replayed)"
        )
    )
    traffic = demo.get("requests")
    if isinstance(traffic, dict):
        states = ", ".join(f"{k} {v}" for k, v in traffic["by_outcome"].items())
        console.print(
            f"residents' requests (点单): {traffic['requests']} in {traffic['seconds']} s: {states}"
        )
    volunteering = demo.get("volunteering")
    if isinstance(volunteering, dict):
        acts, shifts = volunteering["activities"], volunteering["rota"]
        console.print(
            f"volunteering: {volunteering['teams']} teams, {acts['past']} past and "
            f"{acts['upcoming']} upcoming activities, {volunteering['hours_certified']} hours "
            f"certified, {shifts['shifts_opened']} weekend shifts ({shifts['gaps']} gaps)"
        )
    points = demo.get("points")
    if isinstance(points, dict):
        made, graded = points["redemptions"], points["evaluations"]
        console.print(
            f"red points: {points['supermarket']['items']} goods in the love supermarkets, "
            f"{made['made']} redemptions ({made['cancelled']} cancelled), "
            f"{graded['graded']} members graded, {points['awards']} awards"
        )
    open311 = state.get("open311")
    if isinstance(open311, dict):
        console.print(f"Open311: {open311['url']} (API key in {open311['api_key_file']})")


def cmd_down(_args: argparse.Namespace) -> int:
    stopped = stack.down(load_layout())
    console.print(f"stopped: {', '.join(stopped) if stopped else 'nothing was running'}")
    return 0


def cmd_clean(_args: argparse.Namespace) -> int:
    stopped = stack.clean(load_layout())
    console.print(f"stopped: {', '.join(stopped) or 'nothing was running'}; run folder deleted")
    return 0


def cmd_ps(_args: argparse.Namespace) -> int:
    table = Table(title="Grassroots local stack")
    for column in ("name", "pid", "address", "health"):
        table.add_column(column)
    rows = stack.status(load_layout())
    for row in rows:
        table.add_row(row["name"], row["pid"], row["address"], row["health"])
    Console().print(table)
    return 0 if all(r["health"] == "ready" for r in rows) else 1


def cmd_test(args: argparse.Namespace) -> int:
    layout = load_layout()
    # Known before `up`: if the demo load fails, `up` raises without saying what it
    # started, and a stack this command started must not outlive it (CI's next run
    # would find its ports taken).
    was_running = stack.anything_running(layout)
    try:
        stack.up(layout, demo=True, demo_scale=args.demo_scale)
        extra = [a for a in args.pytest_args if a != "--"]
        return subprocess.call([sys.executable, "-m", "pytest", *extra], cwd=layout.root)
    finally:
        if not was_running and not args.keep:
            stack.down(layout)


def _resolve_community(layout_state: dict[str, object], value: str) -> str:
    demo = layout_state.get("demo")
    if isinstance(demo, dict):
        ids = demo.get("communities", {})
        by_name = {c.name: ids.get(c.key) for c in dongan.COMMUNITIES}
        if value in ids:
            return str(ids[value])
        if by_name.get(value):
            return str(by_name[value])
    return value


def _resolve_subject(layout_state: dict[str, object], value: str) -> str:
    """A demo person by role (`group_leader`, `in_service_member` ...): their member id."""
    demo = layout_state.get("demo")
    if isinstance(demo, dict):
        people = demo.get("samples", {}).get("people", {})
        if people.get(value):
            return str(people[value])
    return value


def cmd_token(args: argparse.Namespace) -> int:
    layout = load_layout()
    state: dict[str, object] = {}
    if layout.state_file.exists():
        state = json.loads(layout.state_file.read_text())
    communities = [_resolve_community(state, c) for c in args.community or []]
    county_wide = {"county_admin", "department", "agency"} & set(args.role)
    county = args.county or (dongan.COUNTY if county_wide else None)
    token = stack.mint(
        layout,
        subject=_resolve_subject(state, args.subject or f"dev-{'-'.join(args.role)}"),
        roles=args.role,
        county=county,
        communities=communities,
        department=args.department,
        ttl=timedelta(hours=args.ttl_hours),
    )
    print(token)
    return 0


def _access(layout: Layout) -> KafkaAccess:
    from grassroots_stack import kafka

    if not layout.kafka_password_file(keys.KAFKA_ADMIN).exists():
        raise RuntimeError(
            f"no Kafka admin credential in {layout.keys}: `grassroots stack up` first"
        )
    return KafkaAccess(layout.kafka_bootstrap, kafka.admin_security(layout))


def _print_agency_credentials(layout: Layout, name: str, password: str) -> None:
    principal = agencies.principal_of(name)
    console.print(
        f"agency {name}: give these to its engineers over a safe channel; the password is "
        f"shown once here (the local stack keeps a copy in "
        f"{layout.kafka_password_file(principal)})"
    )
    print(
        json.dumps(
            {
                "bootstrap_servers": layout.kafka_bootstrap,
                "security_protocol": "SASL_PLAINTEXT",
                "sasl_mechanism": "SCRAM-SHA-512",
                "username": principal,
                "password": password,
                "group_prefix": f"{principal}.",
                "topics": [spec.name for spec in public_topics()],
            },
            indent=2,
        )
    )


def cmd_agencies(args: argparse.Namespace) -> int:
    layout = load_layout()
    try:
        if args.action in ("add", "rotate", "remove"):
            agencies.principal_of(args.name)  # a bad name is refused before Kafka is asked
        if args.action == "log":
            for entry in agencies.ledger(layout):
                print(json.dumps(entry, ensure_ascii=False))
            return 0
        access = _access(layout)
        if args.action == "add":
            password = agencies.add(layout, access, args.name, actor=args.actor)
            _print_agency_credentials(layout, args.name, password)
        elif args.action == "rotate":
            password = agencies.rotate(layout, access, args.name, actor=args.actor)
            _print_agency_credentials(layout, args.name, password)
        elif args.action == "remove":
            agencies.remove(layout, access, args.name, actor=args.actor)
            console.print(f"agency {args.name}: credential and ACLs deleted; refused from now on")
        else:
            table = Table(title="Agencies with access to the public topics")
            for column in ("agency", "principal", "credential", "group prefix", "ACLs"):
                table.add_column(column)
            for agency in agencies.listing(access):
                table.add_row(
                    agency.name,
                    agency.principal,
                    "yes" if agency.has_credential else "NONE",
                    agency.group_prefix,
                    "\n".join(g.describe() for g in agency.grants) or "none",
                )
            # Wide: principals and topic names are read (and grepped) whole.
            Console(width=200).print(table)
    except agencies.AgencyError as exc:
        console.print(f"[red]refused:[/red] {exc}")
        return 2
    except KafkaException as exc:
        raise RuntimeError(f"Kafka at {layout.kafka_bootstrap}: {exc}") from exc
    return 0


def cmd_bench_store(args: argparse.Namespace) -> int:
    from grassroots_stack.bench import store as bench_store

    return bench_store.main(load_layout(), quick=args.quick)


def cmd_bench_key_rotation(args: argparse.Namespace) -> int:
    from grassroots_stack.bench import key_rotation as bench_key_rotation

    return bench_key_rotation.main(load_layout(), keys=args.keys, batch_size=args.batch_size)


def cmd_bench_requests(args: argparse.Namespace) -> int:
    from grassroots_stack.bench import requests as bench_requests

    return bench_requests.main(load_layout(), quick=args.quick)


def cmd_bench_e2e(args: argparse.Namespace) -> int:
    from grassroots_stack.bench import e2e

    return e2e.main(load_layout(), quick=args.quick)


def cmd_chaos(args: argparse.Namespace) -> int:
    from grassroots_stack.chaos import run as chaos_run

    return chaos_run.main(load_layout(), quick=args.quick, names=args.scenario)


def cmd_capacity_simulate(args: argparse.Namespace) -> int:
    from grassroots_stack.capacity import command as capacity

    return capacity.main(
        load_layout(),
        communities=args.communities,
        days=args.days,
        history_days=args.history_days,
        quick=args.quick,
        keep=args.keep,
    )


def cmd_capacity_kafka(args: argparse.Namespace) -> int:
    from grassroots_stack.capacity import command as capacity

    return capacity.main_kafka(load_layout(), quick=args.quick)


def cmd_capacity_grow(args: argparse.Namespace) -> int:
    from grassroots_stack.capacity import command as capacity

    return capacity.main_grow(load_layout(), database=args.database, copies=args.copies)


def cmd_capacity_double_report(args: argparse.Namespace) -> int:
    from grassroots_stack.capacity import command as capacity

    return capacity.main_double_report(load_layout(), quick=args.quick, counties=args.counties)


def cmd_capacity_report(args: argparse.Namespace) -> int:
    from grassroots_stack.capacity import report

    return report.main(load_layout().root, quick=args.quick)


def cmd_projections_rebuild(args: argparse.Namespace) -> int:
    """Runs the projections service's own rebuild command with the stack's settings for it."""
    layout = load_layout()
    env = {**os.environ, **services.environment(layout, layout.service("projections"))}
    views = [arg for name in args.view or () for arg in ("--view", name)]
    return subprocess.call(
        [sys.executable, "-m", "projections_service", "rebuild", *views], cwd=layout.root, env=env
    )


def cmd_keys_rotate(_args: argparse.Namespace) -> int:
    """A new master key for residents' personal data; every data key re-wrapped under it."""
    return key_rotation.rotate(load_layout(), console)


def cmd_k8s(args: argparse.Namespace) -> int:
    """Prints the rendered manifests; nothing is sent to a cluster."""
    sys.stdout.write(k8s.render(k8s.target_dir(load_layout().root, args.target)))
    return 0


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="grassroots", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    sub = p.add_subparsers(dest="command", required=True)

    st = sub.add_parser("stack", help="the local stack").add_subparsers(
        dest="action", required=True
    )
    up = st.add_parser("up", help="start Kafka, PostgreSQL and every service; load the demo")
    demo = up.add_mutually_exclusive_group()
    demo.add_argument("--no-demo", action="store_true")
    demo.add_argument(
        "--demo-once",
        action="store_true",
        help="load the demo only if this run folder holds none yet (bench, chaos)",
    )
    demo.add_argument(
        "--demo-scale",
        type=float,
        help="a smaller or bigger county (1.0: 8 communities, 400 buildings, 7500 members)",
    )
    up.set_defaults(func=cmd_up)
    st.add_parser("down", help="stop what `up` started").set_defaults(func=cmd_down)
    st.add_parser("ps", help="status with health").set_defaults(func=cmd_ps)
    st.add_parser("clean", help="down, then delete the run folder (data, logs, keys)").set_defaults(
        func=cmd_clean
    )
    test = st.add_parser("test", help="up, run pytest, then down if this started the stack")
    test.add_argument("--keep", action="store_true", help="leave the stack running")
    test.add_argument("--demo-scale", type=float, help="load the demo at this scale")
    test.add_argument("pytest_args", nargs=argparse.REMAINDER)
    test.set_defaults(func=cmd_test)

    tok = sub.add_parser("token", help="mint a development token from the local issuer")
    tok.add_argument(
        "--role",
        action="append",
        required=True,
        help="resident, member, grid_worker, community_staff, department, county_admin, agency",
    )
    tok.add_argument(
        "--county", help=f"county scope for county-wide roles (default {dongan.COUNTY})"
    )
    tok.add_argument("--community", action="append", help="community id, demo key or demo name")
    tok.add_argument(
        "--subject",
        help="the token's subject (default dev-<role>), or a demo person: group_leader, "
        "building_head, household_member, branch_secretary, in_service_member ...",
    )
    tok.add_argument(
        "--department", help="a department's code for department tokens, e.g. public_security"
    )
    tok.add_argument("--ttl-hours", type=float, default=12.0)
    tok.set_defaults(func=cmd_token)

    pj = sub.add_parser("projections", help="the projections service's read models")
    pj_sub = pj.add_subparsers(dest="action", required=True)
    rb = pj_sub.add_parser(
        "rebuild",
        help="replay views from offset 0 into fresh tables while the live ones serve, then swap",
    )
    rb.add_argument("--view", action="append", help="a view (repeatable); default: every view")
    rb.set_defaults(func=cmd_projections_rebuild)

    ks = sub.add_parser("keys", help="the local stack's secrets").add_subparsers(
        dest="action", required=True
    )
    ks.add_parser(
        "rotate",
        help="a new personal-data master key: re-wrap every resident's data key, restart"
        " requests (docs/personal-data.md)",
    ).set_defaults(func=cmd_keys_rotate)

    kube = sub.add_parser(
        "k8s", help="print the Kubernetes manifests of deploy/k8s, rendered with kustomize"
    )
    kube.add_argument("target", nargs="?", default="county", choices=(k8s.BASE, *k8s.OVERLAYS))
    kube.set_defaults(func=cmd_k8s)

    ag = sub.add_parser(
        "agencies", help="outside agencies' read access to the public event topics"
    ).add_subparsers(dest="action", required=True)
    for action, text in (
        ("add", "a new agency: SCRAM credential, read on the public topics, its group prefix"),
        ("rotate", "a new password for an agency; the old one is refused"),
        ("remove", "delete an agency's credential and ACLs; refused at once"),
    ):
        one = ag.add_parser(action, help=text)
        one.add_argument("name", help=f"the agency's short name ({agencies.NAME_RULE_TEXT})")
        one.add_argument("--actor", help="who asks for the change (default: the OS user)")
        one.set_defaults(func=cmd_agencies)
    ag.add_parser("list", help="every agency, its credential and ACLs").set_defaults(
        func=cmd_agencies
    )
    ag.add_parser("log", help="every change ever made, as JSON lines").set_defaults(
        func=cmd_agencies
    )

    bench = sub.add_parser("bench", help="benchmarks").add_subparsers(dest="which", required=True)
    bs = bench.add_parser("store", help="write path, raw PostgreSQL ceiling, relay, consumer")
    bs.add_argument("--quick", action="store_true", help="smaller run, for a smoke check")
    bs.set_defaults(func=cmd_bench_store)
    bk = bench.add_parser(
        "key-rotation", help="rotate-master-key on N subject keys in a scratch database"
    )
    bk.add_argument("--keys", type=int, default=100_000)
    bk.add_argument("--batch-size", type=int, default=1000)
    bk.set_defaults(func=cmd_bench_key_rotation)
    br = bench.add_parser(
        "requests", help="a request's life over HTTP: submit, claim, resolve, rate"
    )
    br.add_argument("--quick", action="store_true", help="200 requests instead of 2,000")
    br.set_defaults(func=cmd_bench_requests)
    be = bench.add_parser(
        "e2e", help="the county mix at rising rates: throughput, latency, dashboard delay"
    )
    be.add_argument("--quick", action="store_true", help="two short steps, for a smoke check")
    be.set_defaults(func=cmd_bench_e2e)

    ch = sub.add_parser(
        "chaos",
        help="fault scenarios under the county mix; every accepted command in every read "
        "model exactly once (docs/chaos.md)",
    )
    ch.add_argument("--quick", action="store_true", help="fewer, shorter scenarios (minutes)")
    ch.add_argument(
        "--scenario",
        action="append",
        help="run only this one (repeatable), e.g. kill-points; prints, writes no results",
    )
    ch.set_defaults(func=cmd_chaos)

    cap = sub.add_parser("capacity", help="capacity planning: docs/capacity.md").add_subparsers(
        dest="action", required=True
    )
    sim = cap.add_parser(
        "simulate",
        help="synthetic province-scale events through the real projection code into a "
        "database of its own; writes bench/results/capacity.json",
    )
    sim.add_argument(
        "--communities", type=int, help="communities in all (default 29,280: Hunan's ~29,000)"
    )
    sim.add_argument(
        "--days", type=int, default=1, help="days of every community's traffic (default 1)"
    )
    sim.add_argument(
        "--history-days",
        type=int,
        help="days of the first county's traffic, onboarded in full (default 365)",
    )
    sim.add_argument(
        "--quick",
        action="store_true",
        help="480 communities, 14 days of history: a smoke run (bench/results/capacity-quick.json)",
    )
    sim.add_argument("--keep", action="store_true", help="keep the simulation's database")
    sim.set_defaults(func=cmd_capacity_simulate)
    kaf = cap.add_parser(
        "kafka",
        help="a fresh county's records through real Kafka and the views' consumers; adds "
        "the figures to bench/results/capacity.json",
    )
    kaf.add_argument("--quick", action="store_true", help="12 communities, capacity-quick.json")
    kaf.set_defaults(func=cmd_capacity_kafka)
    grw = cap.add_parser(
        "grow",
        help="copy a kept simulation's county N times and time the dashboard again; adds "
        "the figures to bench/results/capacity.json",
    )
    grw.add_argument("--database", required=True, help="the database `simulate --keep` left")
    grw.add_argument("--copies", type=int, default=4)
    grw.set_defaults(func=cmd_capacity_grow)
    dbl = cap.add_parser(
        "double-report",
        help="the county overview's double-report statements on tables of a province's "
        "proportions (122 counties); adds the figures to bench/results/capacity.json",
    )
    dbl.add_argument("--quick", action="store_true", help="4 counties, capacity-quick.json")
    dbl.add_argument(
        "--counties",
        type=int,
        help="this many counties instead (1: the county alone); printed, not written",
    )
    dbl.set_defaults(func=cmd_capacity_double_report)
    rep = cap.add_parser(
        "report",
        help="the county and province figures from bench/results/capacity.json, as markdown "
        "(bench/results/capacity.md)",
    )
    rep.add_argument("--quick", action="store_true", help="from capacity-quick.json")
    rep.set_defaults(func=cmd_capacity_report)
    return p


def main(argv: list[str] | None = None) -> int:
    _configure_logs()
    args = parser().parse_args(argv)
    try:
        return int(args.func(args))
    except RuntimeError as exc:
        console.print(f"[red]error:[/red] {exc}")
        return 1


if __name__ == "__main__":
    sys.exit(main())
