"""A TCP proxy adding a fixed delay to every reply: a Neo4j "on another host" for a benchmark
on one machine, so a round trip is waiting time rather than CPU on the same cores.

    python -m bench.delay_proxy --port PORT --target HOST:PORT --delay-ms 20

Bytes from the server to the client are held ``delay-ms`` before being passed on, in order;
bytes from the client go straight through. Each Bolt round trip thus takes ``delay-ms`` more.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable

Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


async def _straight(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    except OSError:
        pass
    finally:
        writer.close()


async def _delayed(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, delay: float
) -> None:
    queue: asyncio.Queue[tuple[float, bytes]] = asyncio.Queue()

    async def send() -> None:
        while True:
            due, data = await queue.get()
            if not data:
                break
            await asyncio.sleep(max(due - time.monotonic(), 0.0))
            writer.write(data)
            await writer.drain()

    sender = asyncio.create_task(send())
    try:
        while data := await reader.read(65536):
            queue.put_nowait((time.monotonic() + delay, data))
    except OSError:
        pass
    finally:
        queue.put_nowait((0.0, b""))
        with contextlib.suppress(OSError):
            await sender
        writer.close()


def handler(target: tuple[str, int], delay: float) -> Handler:
    """The connection handler: connect to ``target`` and relay both ways."""

    async def handle(client_r: asyncio.StreamReader, client_w: asyncio.StreamWriter) -> None:
        try:
            server_r, server_w = await asyncio.open_connection(*target)
        except OSError:
            client_w.close()
            return
        await asyncio.gather(_straight(client_r, server_w), _delayed(server_r, client_w, delay))

    return handle


async def serve(port: int, target: tuple[str, int], delay: float) -> None:
    """Relay 127.0.0.1:``port`` to ``target`` until killed."""
    server = await asyncio.start_server(handler(target, delay), "127.0.0.1", port)
    async with server:
        await server.serve_forever()


def main(argv: list[str] | None = None) -> None:
    """Run the proxy."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--target", required=True, help="HOST:PORT")
    parser.add_argument("--delay-ms", type=float, required=True)
    args = parser.parse_args(argv)
    host, _, port = args.target.rpartition(":")
    asyncio.run(serve(args.port, (host, int(port)), args.delay_ms / 1000))


if __name__ == "__main__":
    main()
