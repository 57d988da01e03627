"""The load's keep-alive client (grassroots_stack.load.wire) through a server outage: the
chaos runs kill services under it, and a careful client must find them again."""

from __future__ import annotations

import asyncio
import contextlib

import pytest
from grassroots_stack.load.wire import WirePool

pytestmark = pytest.mark.integration

ANSWER = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Type: application/json\r\n\r\n{}"


async def _serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    with contextlib.suppress(ConnectionError, asyncio.IncompleteReadError):
        while True:
            head = await reader.readuntil(b"\r\n\r\n")
            length = next(
                int(line.split(b":", 1)[1])
                for line in head.split(b"\r\n")
                if line.lower().startswith(b"content-length")
            )
            await reader.readexactly(length)
            writer.write(ANSWER)
            await writer.drain()
    writer.close()


async def test_requests_get_through_again_when_the_server_is_back_after_refusing_many():
    server = await asyncio.start_server(_serve, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    pool = WirePool(f"http://127.0.0.1:{port}", size=4)
    assert (await pool.request("POST", "/x", "token", {})).status_code == 200
    server.close()
    await server.wait_closed()
    await pool.close()  # the kept-alive connection dies with the server
    for _ in range(3 * 4):  # more refusals than the pool has connections
        with pytest.raises(ConnectionRefusedError):
            await asyncio.wait_for(pool.request("POST", "/x", "token", {}), timeout=5)
    server = await asyncio.start_server(_serve, "127.0.0.1", port)
    try:
        answer = await asyncio.wait_for(pool.request("POST", "/x", "token", {}), timeout=5)
        assert answer.status_code == 200
    finally:
        await pool.close()
        server.close()
        await server.wait_closed()
