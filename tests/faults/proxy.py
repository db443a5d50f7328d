"""A small TCP proxy between the code under test and Postgres that injects faults:

- cut(): every open connection is reset (RST, as a crashed server or a dropped route
  looks) and new ones are reset as soon as they arrive, until heal();
- delay: seconds added before each chunk is forwarded (a slow network);
- reset_all(): reset the open connections once, new ones are let through.

It listens on an ephemeral loopback port; `url(database_url)` points a URL at it.
"""

import asyncio
import contextlib
import socket
import struct

from sqlalchemy.engine import make_url

_LINGER_RST = struct.pack("ii", 1, 0)  # SO_LINGER on, 0 s: close() sends RST


def _reset(writer: asyncio.StreamWriter) -> None:
    sock = writer.get_extra_info("socket")
    with contextlib.suppress(OSError):
        if sock is not None:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, _LINGER_RST)
    writer.transport.abort()


class FaultProxy:
    def __init__(self, target_host: str, target_port: int):
        self.target = (target_host, target_port)
        self.down = False
        self.delay = 0.0
        self.port = 0
        self.accepted = 0
        self.refused = 0
        self._server: asyncio.Server | None = None
        self._pairs: set[tuple[asyncio.StreamWriter, asyncio.StreamWriter]] = set()
        self._tasks: set[asyncio.Task] = set()

    @classmethod
    def for_url(cls, database_url: str) -> "FaultProxy":
        u = make_url(database_url)
        return cls(u.host or "127.0.0.1", u.port or 5432)

    def url(self, database_url: str) -> str:
        u = make_url(database_url).set(host="127.0.0.1", port=self.port)
        return u.render_as_string(hide_password=False)

    async def start(self) -> "FaultProxy":
        self._server = await asyncio.start_server(self._client, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def stop(self) -> None:
        self.reset_all()
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    def cut(self) -> None:
        self.down = True
        self.reset_all()

    def heal(self) -> None:
        self.down = False

    def reset_all(self) -> None:
        for client, upstream in list(self._pairs):
            _reset(client)
            _reset(upstream)
        self._pairs.clear()

    async def _client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter):
        if self.down:
            self.refused += 1
            _reset(writer)
            return
        try:
            up_reader, up_writer = await asyncio.open_connection(*self.target)
        except OSError:
            _reset(writer)
            return
        self.accepted += 1
        pair = (writer, up_writer)
        self._pairs.add(pair)
        for src, dst in ((reader, up_writer), (up_reader, writer)):
            task = asyncio.create_task(self._pump(src, dst, pair))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _pump(self, src: asyncio.StreamReader, dst: asyncio.StreamWriter, pair) -> None:
        try:
            while data := await src.read(65536):
                if self.delay:
                    await asyncio.sleep(self.delay)
                if self.down or pair not in self._pairs:
                    break
                dst.write(data)
                await dst.drain()
        except (OSError, asyncio.IncompleteReadError):
            pass
        finally:
            if pair in self._pairs:
                self._pairs.discard(pair)
                for w in pair:
                    _reset(w)
