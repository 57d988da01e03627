"""A consumer as its own OS process, so tests can kill it.

python -m tests.support.consumer_process --dsn … --bootstrap … --topic … --group …
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal

import asyncpg
from grassroots_eventkit import failpoints
from grassroots_eventkit.consumer import IdempotentConsumer
from grassroots_eventkit.kafka import reliable_producer
from grassroots_eventkit.logs import configure_logging

from tests.support.stack import kafka_security_from_env
from tests.support.tally import TallyProjector


async def main(dsn: str, bootstrap: str, topic: str, group: str, batch: int) -> None:
    pool = await asyncpg.create_pool(dsn, min_size=1, max_size=4)
    producer = reliable_producer(
        bootstrap, client_id="test-consumer-dlq", security=kafka_security_from_env()
    )
    await producer.start()
    consumer = IdempotentConsumer(
        TallyProjector(group, topic),
        bootstrap=bootstrap,
        pool=pool,
        dlq_producer=producer,
        batch_size=batch,
        security=kafka_security_from_env(),
    )
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, consumer.stop)
    try:
        await consumer.run()
    finally:
        await producer.stop()
        await pool.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--dsn", required=True)
    parser.add_argument("--bootstrap", required=True)
    parser.add_argument("--topic", required=True)
    parser.add_argument("--group", required=True)
    parser.add_argument("--batch", type=int, default=100)
    args = parser.parse_args()
    configure_logging("test-consumer")
    failpoints.arm(frozenset(filter(None, os.environ.get("TEST_FAILPOINTS", "").split(","))))
    asyncio.run(main(args.dsn, args.bootstrap, args.topic, args.group, args.batch))
