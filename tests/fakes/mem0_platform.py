"""A fake of the hosted Mem0 Platform REST API (the endpoints `mem0.MemoryClient` calls)."""

from __future__ import annotations

import json
import re
import threading
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

_WORD = re.compile(r"[a-z0-9]+")


@dataclass
class PlatformCall:
    method: str
    path: str
    query: dict[str, str]
    body: dict[str, Any]
    authorization: str


@dataclass
class FakeMem0Platform:
    """Stores each user message as one memory; search ranks by shared words."""

    api_key: str = "m0-test-key-not-real"
    memories: dict[str, dict[str, Any]] = field(default_factory=dict)
    calls: list[PlatformCall] = field(default_factory=list)
    fail_with: int | None = None

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                return

            def _handle(self, method: str) -> None:
                url = urlsplit(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                body = json.loads(raw) if raw else {}
                query = {k: v[0] for k, v in parse_qs(url.query).items()}
                call = PlatformCall(method, url.path, query, body, self.headers.get("Authorization", ""))
                status, payload = fake._dispatch(call)
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self) -> None:
                self._handle("GET")

            def do_POST(self) -> None:
                self._handle("POST")

            def do_DELETE(self) -> None:
                self._handle("DELETE")

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> FakeMem0Platform:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def _dispatch(self, call: PlatformCall) -> tuple[int, Any]:
        with self._lock:
            self.calls.append(call)
            if call.authorization != f"Token {self.api_key}":
                return 401, {"detail": "Invalid API key"}
            if self.fail_with is not None:
                return self.fail_with, {"detail": "fake outage"}
            match (call.method, call.path):
                case ("GET", "/v1/ping/"):
                    return 200, {"status": "ok", "org_id": "org", "project_id": "proj", "user_email": None}
                case ("POST", "/v3/memories/add/"):
                    return 200, self._add(call.body)
                case ("POST", "/v3/memories/search/"):
                    return 200, {"results": self._search(call.body)}
                case ("POST", "/v3/memories/"):
                    # Paged like the Platform: `page` (from 1) and `page_size` (default 100).
                    rows = self._owned(call.body.get("filters", {}))
                    page, size = int(call.query.get("page", 1)), int(call.query.get("page_size", 100))
                    shown = rows[(page - 1) * size : page * size]
                    more = page * size < len(rows)
                    following = f"{self.base_url}/v3/memories/?page={page + 1}" if more else None
                    return 200, {"count": len(rows), "next": following, "previous": None, "results": shown}
                case ("DELETE", "/v1/memories/"):
                    user = call.query.get("user_id")
                    for row in self._owned({"user_id": user}):
                        del self.memories[row["id"]]
                    return 200, {"message": "Memories deleted successfully!"}
            found = re.fullmatch(r"/v1/memories/([^/]+)/", call.path)
            if found and found.group(1) in self.memories:
                if call.method == "GET":
                    return 200, self.memories[found.group(1)]
                if call.method == "DELETE":
                    del self.memories[found.group(1)]
                    return 200, {"message": "Memory deleted successfully!"}
            return 404, {"detail": "Not found"}

    def _add(self, body: dict[str, Any]) -> dict[str, Any]:
        results = []
        for message in body.get("messages", []):
            if message.get("role") != "user":
                continue
            now = datetime.now(UTC).isoformat()
            row = {
                "id": str(uuid.uuid4()),
                "memory": message["content"],
                "user_id": body.get("user_id"),
                "metadata": body.get("metadata") or {},
                "categories": [],
                "created_at": now,
                "updated_at": now,
            }
            self.memories[row["id"]] = row
            results.append({"id": row["id"], "memory": row["memory"], "event": "ADD"})
        return {"results": results}

    def _owned(self, filters: dict[str, Any]) -> list[dict[str, Any]]:
        user = filters.get("user_id")
        return [row for row in self.memories.values() if row["user_id"] == user]

    def _search(self, body: dict[str, Any]) -> list[dict[str, Any]]:
        words = set(_WORD.findall(body.get("query", "").lower()))
        scored = []
        for row in self._owned(body.get("filters", {})):
            overlap = len(words & set(_WORD.findall(row["memory"].lower())))
            scored.append({**row, "score": overlap / (len(words) or 1)})
        scored.sort(key=lambda r: r["score"], reverse=True)
        return scored[: int(body.get("top_k", 10))]
