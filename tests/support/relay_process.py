"""A relay as its own OS process, so tests can kill it: python -m tests.support.relay_process."""

from __future__ import annotations

import argparse
import asyncio
import os
import signal

from grassroots_eventkit import failpoints
from grassroots_eventkit.kafka import reliable_producer
from grassroots_eventkit.logs import configure_logging
from grassroots_eventkit.relay import OutboxRelay

from tests.support.stack import kafka_security_from_env


async def main(dsn: str, bootstrap: str, shards: int, batch: int) -> None:
    producer = reliable_producer(
        bootstrap, client_id="test-relay-process", security=kafka_security_from_env()
    )
    await producer.start()
    relay = OutboxRelay(dsn, producer, shards=shards, batch_size=batch)
    loop = asyncio.get_running_loop()
    loop.add_signal_handler(signal.SIGTERM, relay.stop)
    try:
        await relay.run()
    finally:
        await producer.stop()


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--dsn", required=True)
    parser.add_argument("--bootstrap", required=True)
    parser.add_argument("--shards", type=int, default=4)
    parser.add_argument("--batch", type=int, default=100)
    args = parser.parse_args()
    configure_logging("test-relay")
    failpoints.arm(frozenset(filter(None, os.environ.get("TEST_FAILPOINTS", "").split(","))))
    asyncio.run(main(args.dsn, args.bootstrap, args.shards, args.batch))
