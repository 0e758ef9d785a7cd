"""HTTP plumbing the fake servers share: a server on 127.0.0.1 that hands every request to its
fake, the request helpers, and serving on a background thread."""

from __future__ import annotations

import contextlib
import sys
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, Self


class Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    # socketserver listens with a backlog of 5: a burst of new connections (hundreds of streamed
    # answers at once) overflowed it, and a dropped SYN is retried after 1, 2, 4 … 32 s, so a
    # request stalled ~63 s now and then. A real API front end never refuses connections like that.
    request_queue_size = 1024

    def __init__(self, handle: Callable[[Handler], None]) -> None:
        super().__init__(("127.0.0.1", 0), Handler)
        self.handle = handle

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that drops a kept-alive connection (a bot process exiting) is no error of ours."""
        if isinstance(sys.exc_info()[1], ConnectionError):
            return
        super().handle_error(request, client_address)


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Headers and body go out in two writes: without TCP_NODELAY, Nagle's algorithm and the
    # client's delayed ACK hold the body ~40 ms (measured on long-polled getUpdates answers and on
    # embedding answers in bench/load.py).
    disable_nagle_algorithm = True
    server: Server

    def log_message(self, format: str, *args: Any) -> None:
        """Keep test output quiet."""

    def do_POST(self) -> None:
        self.server.handle(self)

    def do_GET(self) -> None:
        self.server.handle(self)

    def read_body(self) -> bytes:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            chunks: list[bytes] = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    self.rfile.readline()
                    return b"".join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def reply(self, status: int, body: bytes, content_type: str = "application/json") -> None:
        with contextlib.suppress(OSError):
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            self.wfile.flush()

    def start_stream(self, content_type: str) -> None:
        """A 200 whose body follows in chunks (`write_chunk`; an empty one ends it)."""
        self.send_response(200)
        self.send_header("Content-Type", content_type)
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()

    def write_chunk(self, data: bytes) -> None:
        self.wfile.write(f"{len(data):X}\r\n".encode() + data + b"\r\n")
        self.wfile.flush()


class Serving:
    """A `Server` answering on its own thread until `stop`."""

    def __init__(self, handle: Callable[[Handler], None], name: str) -> None:
        self._server = Server(handle)
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, name=name, daemon=True
        )
        self._thread.start()

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)


class LoopbackFake:
    """Base of a fake API server: start / stop (also as a context manager) and its port. A
    subclass answers requests in `_handle` and may prepare or wake things around start and stop."""

    _http: Serving | None = None

    def start(self) -> Self:
        if self._http is None:
            self._before_start()
            self._http = Serving(self._handle, type(self).__name__)
        return self

    def stop(self) -> None:
        http, self._http = self._http, None
        if http is not None:
            self._before_stop()
            http.stop()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def port(self) -> int:
        if self._http is None:
            raise RuntimeError(f"{type(self).__name__} is not started")
        return self._http.port

    def _handle(self, handler: Handler) -> None:
        raise NotImplementedError

    def _before_start(self) -> None:
        """Called by `start` before the server answers."""

    def _before_stop(self) -> None:
        """Called by `stop` before the server shuts down (wake what waits on the fake)."""
