"""An outside agency reads Grassroots' public events: one CloudEvent (JSON) a line.

Needs only confluent-kafka (pip install -r deploy/examples/requirements.txt), nothing
from this repository, so a partner's engineer can copy it as it is:

    AGENCY_PASSWORD=... python agency_subscriber.py \\
        --bootstrap 127.0.0.1:19092 --username agency-civil-affairs

Events arrive in CloudEvents 1.0 Kafka binary mode: the value is the JSON payload
(`data`), each `ce_<attribute>` header is a CloudEvents attribute and `content-type` is
`datacontenttype`. The group must start with `<username>.`: the brokers refuse others.
A record that is not a CloudEvents 1.0 event with a JSON payload is reported on stderr
and skipped.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from typing import Any

from confluent_kafka import Consumer, KafkaError, KafkaException, Message

PUBLIC_TOPICS = (
    "grassroots.organisation.events",
    "grassroots.requests.events",
    "grassroots.volunteering.events",
    "grassroots.points.events",
)


# CloudEvents 1.0: the attributes every event has.
REQUIRED = ("id", "source", "specversion", "type")


class NotACloudEvent(ValueError):
    """A record on the topic that is not a CloudEvents 1.0 event with a JSON payload."""


def cloud_event(message: Message) -> dict[str, Any]:
    """The structured form of a binary-mode CloudEvent: attributes, then `data`."""
    event: dict[str, Any] = {}
    try:
        for name, raw in message.headers() or []:
            value = raw.decode() if isinstance(raw, bytes) else raw
            if name.startswith("ce_"):
                event[name.removeprefix("ce_")] = value
            elif name == "content-type":
                event["datacontenttype"] = value
        payload = message.value()
        event["data"] = json.loads(payload) if payload else None
    except ValueError as exc:  # a header that is not UTF-8, a payload that is not JSON
        raise NotACloudEvent(str(exc)) from exc
    missing = [f"ce_{name}" for name in REQUIRED if name not in event]
    if missing:
        raise NotACloudEvent(f"missing {', '.join(missing)}")
    if event["specversion"] != "1.0":
        raise NotACloudEvent(f"specversion {event['specversion']!r}")
    return event


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bootstrap", required=True, help="host:port of the brokers")
    parser.add_argument("--username", required=True, help="agency-<name>, as you were given")
    parser.add_argument(
        "--password-file", help="a file holding the password (default: $AGENCY_PASSWORD)"
    )
    parser.add_argument("--group", help="consumer group (default: <username>.example)")
    parser.add_argument("--topic", action="append", help="repeat for several (default: all)")
    parser.add_argument("--security-protocol", default="SASL_PLAINTEXT", help="or SASL_SSL")
    parser.add_argument("--max-messages", type=int, help="stop after this many")
    parser.add_argument("--idle-exit", type=float, help="stop after this many quiet seconds")
    args = parser.parse_args()

    if args.password_file:
        with open(args.password_file) as found:
            password = found.read().strip()
    else:
        password = os.environ.get("AGENCY_PASSWORD", "")
    if not password:
        parser.error("give --password-file or set AGENCY_PASSWORD")

    consumer = Consumer(
        {
            "bootstrap.servers": args.bootstrap,
            "security.protocol": args.security_protocol,
            "sasl.mechanism": "SCRAM-SHA-512",
            "sasl.username": args.username,
            "sasl.password": password,
            "group.id": args.group or f"{args.username}.example",
            # A new group starts at the beginning: the topics keep every event forever.
            "auto.offset.reset": "earliest",
            "enable.auto.commit": True,
        }
    )
    printed = skipped = 0
    # --idle-exit counts from when the group gave us partitions, not from start-up.
    quiet_since: float | None = None

    def on_assign(_consumer: Consumer, _partitions: list[Any]) -> None:
        nonlocal quiet_since
        quiet_since = time.monotonic()

    consumer.subscribe(args.topic or list(PUBLIC_TOPICS), on_assign=on_assign)
    try:
        while args.max_messages is None or printed < args.max_messages:
            message = consumer.poll(1.0)
            if message is None:
                idle = quiet_since is not None and time.monotonic() - quiet_since
                if args.idle_exit and idle and idle > args.idle_exit:
                    break
                continue
            if message.error():
                if message.error().code() == KafkaError._PARTITION_EOF:
                    continue
                raise KafkaException(message.error())
            quiet_since = time.monotonic()
            try:
                event = cloud_event(message)
            except NotACloudEvent as exc:
                # Someone else's mistake on the topic must not stop your subscriber: say
                # where it is and go on (Grassroots' own consumers dead-letter such records).
                where = f"{message.topic()}[{message.partition()}]@{message.offset()}"
                print(f"skipped {where}: not a CloudEvent: {exc}", file=sys.stderr)
                skipped += 1
                continue
            print(json.dumps(event, ensure_ascii=False), flush=True)
            printed += 1
    except KafkaException as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    finally:
        consumer.close()
    print(f"{printed} events, {skipped} skipped", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
