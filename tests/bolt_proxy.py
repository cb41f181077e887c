"""A TCP proxy between the Neo4j driver and a server that cuts a connection at a COMMIT: real
fault injection for the retry tests (no mocked driver).

``CommitCutter(host, port)`` relays ``127.0.0.1:<cutter.port>`` to the server. ``arm("after")``:
the next COMMIT is forwarded, the server's answer (it committed) is swallowed and both sides are
closed, so the driver loses the acknowledgement of a committed transaction. ``arm("before")``:
the next COMMIT is not forwarded and both sides are closed, so the server rolls the transaction
back. Either way the driver raises ``IncompleteCommit``: it cannot tell which happened.
"""

from __future__ import annotations

import contextlib
import socket
import threading

__all__ = ["COMMIT", "CommitCutter"]

#: A Bolt COMMIT message as framed on the wire: one chunk of 2 bytes (an empty struct, tag
#: 0x12), then the end-of-message marker.
COMMIT = b"\x00\x02\xb0\x12\x00\x00"


class _Link:
    def __init__(self, client: socket.socket, server: socket.socket) -> None:
        self.client, self.server = client, server
        self.swallow = threading.Event()

    def cut(self) -> None:
        for s in (self.client, self.server):
            with contextlib.suppress(OSError):
                s.shutdown(socket.SHUT_RDWR)
            s.close()


class CommitCutter:
    """The proxy (see the module's docstring); ``cuts`` counts the connections it cut."""

    def __init__(self, host: str, port: int) -> None:
        self.target = (host, port)
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port: int = self.listener.getsockname()[1]
        self.cuts = 0
        self._mode: str | None = None
        self._lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    def arm(self, mode: str) -> None:
        """Cut at the next COMMIT, ``"after"`` or ``"before"`` forwarding it."""
        assert mode in ("after", "before")
        with self._lock:
            self._mode = mode

    def _take(self) -> str | None:
        with self._lock:
            mode, self._mode = self._mode, None
            return mode

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            server = socket.create_connection(self.target)
            link = _Link(client, server)
            threading.Thread(target=self._upstream, args=(link,), daemon=True).start()
            threading.Thread(target=self._downstream, args=(link,), daemon=True).start()

    def _upstream(self, link: _Link) -> None:
        try:
            while data := link.client.recv(65536):
                mode = self._take() if COMMIT in data else None
                if mode == "before":
                    self.cuts += 1
                    link.cut()
                    return
                if mode == "after":
                    link.swallow.set()
                link.server.sendall(data)
        except OSError:
            pass
        link.cut()

    def _downstream(self, link: _Link) -> None:
        try:
            while data := link.server.recv(65536):
                if link.swallow.is_set():  # the server's answer to the COMMIT: it committed
                    self.cuts += 1
                    link.cut()
                    return
                link.client.sendall(data)
        except OSError:
            pass
        link.cut()

    def close(self) -> None:
        self.listener.close()
