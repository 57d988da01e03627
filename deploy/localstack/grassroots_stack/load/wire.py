"""A minimal HTTP/1.1 keep-alive client for load generation.

httpx spends about a millisecond of CPU per request; on a two-core machine whose other
core runs the services, the load generator itself became the bottleneck. This client
writes the request line and headers by hand and reads a Content-Length body: enough
for our JSON APIs (uvicorn answers with Content-Length), a fraction of the cost.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit


@dataclass(frozen=True, slots=True)
class Answer:
    status_code: int
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)

    def json(self) -> Any:
        return json.loads(self.body)

    @property
    def text(self) -> str:
        return self.body.decode(errors="replace")


class WirePool:
    """`size` keep-alive connections to one server; each request borrows one."""

    def __init__(self, base_url: str, size: int) -> None:
        parts = urlsplit(base_url)
        self._host = parts.hostname or "127.0.0.1"
        self._port = parts.port or 80
        self._size = size
        self._idle: asyncio.Queue[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = (
            asyncio.Queue()
        )
        self._opened = 0

    async def _connection(self) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        if self._idle.empty() and self._opened < self._size:
            self._opened += 1
            try:
                return await asyncio.open_connection(self._host, self._port)
            except BaseException:
                # A refused (server down) or cancelled connect holds no slot: counted, it
                # would leave the pool full of nothing and every later request waiting.
                self._opened -= 1
                raise
        return await self._idle.get()

    async def request(
        self,
        method: str,
        path: str,
        token: str,
        body: dict[str, Any] | None = None,
        idempotency_key: str | None = None,
    ) -> Answer:
        payload = json.dumps(body, ensure_ascii=False).encode() if body is not None else b""
        keyed = f"Idempotency-Key: {idempotency_key}\r\n" if idempotency_key else ""
        head = (
            f"{method} {path} HTTP/1.1\r\nHost: {self._host}\r\n"
            f"Authorization: Bearer {token}\r\nContent-Type: application/json\r\n{keyed}"
            f"Content-Length: {len(payload)}\r\n\r\n"
        ).encode()
        reader, writer = await self._connection()
        try:
            writer.write(head + payload)
            status_line = await reader.readline()
            status = int(status_line.split(b" ", 2)[1])
            headers: dict[str, str] = {}
            while (line := await reader.readline()) not in (b"\r\n", b""):
                name, _, value = line.partition(b":")
                headers[name.strip().lower().decode()] = value.strip().decode()
            content = await reader.readexactly(int(headers.get("content-length", "0")))
        except BaseException:
            writer.close()
            self._opened -= 1
            raise
        self._idle.put_nowait((reader, writer))
        return Answer(status, content, headers)

    async def close(self) -> None:
        while not self._idle.empty():
            _, writer = self._idle.get_nowait()
            writer.close()
