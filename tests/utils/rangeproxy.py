"""A JSON-RPC proxy in front of a node that refuses ``eth_getLogs`` over more than N
blocks, as public providers do, and counts the ``eth_getLogs`` it was asked.

Everything else (and every ``eth_getLogs`` within the limit) is forwarded unchanged.
A refused request gets the error such providers answer, ``{"code": -32005, "message":
"query exceeds max block range N"}``. Batch requests (JSON lists) are answered item by
item. Started in a thread of the test (``with RangeProxy(upstream, 1000) as proxy``).
"""

from __future__ import annotations

import json
import threading
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

TAGS_AT_HEAD = ("latest", "pending", "safe", "finalized")


class RangeProxy:
    def __init__(self, upstream: str, max_range: int):
        self.upstream, self.max_range = upstream, max_range
        self.lock = threading.Lock()
        self.get_logs = 0  # eth_getLogs asked, forwarded or refused
        self.refused = 0
        self.ranges: list[tuple[int, int]] = []  # every eth_getLogs (from, to) asked
        self.server: ThreadingHTTPServer | None = None
        self.thread: threading.Thread | None = None

    # ---------------------------------------------------------------- what it saw

    @property
    def min_from_block(self) -> int | None:
        with self.lock:
            return min((a for a, _ in self.ranges), default=None)

    @property
    def widest_served(self) -> int:
        """The widest range forwarded to the node (refused ones excluded)."""
        with self.lock:
            spans = [b - a + 1 for a, b in self.ranges if b - a + 1 <= self.max_range]
        return max(spans, default=0)

    @property
    def widest_asked(self) -> int:
        with self.lock:
            return max((b - a + 1 for a, b in self.ranges), default=0)

    def reset(self) -> None:
        with self.lock:
            self.get_logs, self.refused, self.ranges = 0, 0, []

    # ---------------------------------------------------------------- forwarding

    def _post(self, payload) -> object:
        request = urllib.request.Request(
            self.upstream, json.dumps(payload).encode(), {"Content-Type": "application/json"}
        )
        with urllib.request.urlopen(request, timeout=60) as answer:
            return json.loads(answer.read())

    def _block(self, tag) -> int:
        if tag is None or tag in TAGS_AT_HEAD:
            head = self._post({"jsonrpc": "2.0", "id": 0, "method": "eth_blockNumber"})
            return int(head["result"], 16)
        if tag == "earliest":
            return 0
        return int(tag, 16) if isinstance(tag, str) else int(tag)

    def answer(self, call: dict) -> dict:
        """The answer to one JSON-RPC call: refused, or the node's."""
        if isinstance(call, dict) and call.get("method") == "eth_getLogs":
            params = (call.get("params") or [{}])[0] or {}
            if "blockHash" in params:
                span = (0, 0)  # one block, whichever
            else:
                span = (self._block(params.get("fromBlock")), self._block(params.get("toBlock")))
            refuse = span[1] - span[0] + 1 > self.max_range
            with self.lock:
                self.get_logs += 1
                if "blockHash" not in params:
                    self.ranges.append(span)
                self.refused += refuse
            if refuse:
                return {
                    "jsonrpc": "2.0",
                    "id": call.get("id"),
                    "error": {
                        "code": -32005,
                        "message": f"query exceeds max block range {self.max_range}",
                    },
                }
        return self._post(call)

    def handle(self, body: bytes) -> object:
        payload = json.loads(body)
        if isinstance(payload, list):
            return [self.answer(call) for call in payload]
        return self.answer(payload)

    # ---------------------------------------------------------------- the server

    def start(self) -> RangeProxy:
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive, as web3's session expects

            def do_POST(self):  # noqa: N802 - http.server's name
                length = int(self.headers.get("Content-Length") or 0)
                try:
                    out = json.dumps(proxy.handle(self.rfile.read(length))).encode()
                    status = 200
                except Exception as err:  # noqa: BLE001 - the client sees it as a 502
                    out, status = str(err).encode(), 502
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(out)))
                self.end_headers()
                self.wfile.write(out)

            def log_message(self, *args):  # quiet
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        return self

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
            self.server = None

    def __enter__(self) -> RangeProxy:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
