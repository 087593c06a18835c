"""Raw JSON-RPC to the connected node, one request or many in one round trip.

The batch engine talks to the node below ape and web3's formatting: answers are
the node's own JSON (hex quantities), the same under any provider and with or
without middleware, and many requests travel in one HTTP round trip (a JSON-RPC
batch), which is what lets a batch run at chain speed. ``round_trips`` counts
what was sent, for the benchmark.
"""

from __future__ import annotations

from dataclasses import dataclass

# Providers cap batch sizes (1,000 at the largest public ones); smaller is polite.
BATCH_LIMIT = 500


@dataclass(frozen=True)
class RpcError:
    """One failed request of a batch: the node's error code, message and data."""

    code: int
    message: str
    data: object = None

    def __str__(self) -> str:
        return self.message


class Rpc:
    def __init__(self, provider, batch_limit: int = BATCH_LIMIT):
        self._http = provider.web3.provider
        self.batch_limit = batch_limit
        self.round_trips = 0
        self.batches = True  # False once the node refused a JSON-RPC batch

    def call(self, method: str, params: list | None = None):
        """One request; a node error raises ``RuntimeError`` with its message."""
        self.round_trips += 1
        answer = self._http.make_request(method, params or [])
        if "error" in answer:
            raise RuntimeError(_error(answer["error"]).message)
        return answer.get("result")

    def batch(self, requests: list[tuple[str, list]]) -> list:
        """Each request's result, or an ``RpcError`` in its place, in order."""
        results: list = []
        for start in range(0, len(requests), self.batch_limit):
            chunk = requests[start : start + self.batch_limit]
            if self.batches and len(chunk) > 1 and hasattr(self._http, "make_batch_request"):
                self.round_trips += 1
                answers = self._http.make_batch_request(chunk)
                if isinstance(answers, list) and len(answers) == len(chunk):
                    results.extend(_result(a) for a in answers)
                    continue
                # The provider refuses JSON-RPC batches (some do, or cap them): nothing
                # of the refused batch ran; from now on, one request at a time.
                self.batches = False
            for method, params in chunk:
                self.round_trips += 1
                results.append(_result(self._http.make_request(method, params)))
        return results


def _error(error: dict) -> RpcError:
    return RpcError(int(error.get("code", 0)), str(error.get("message", error)), error.get("data"))


def _result(answer: dict):
    return _error(answer["error"]) if "error" in answer else answer.get("result")


def quantity(value) -> int:
    """A JSON-RPC quantity (hex text) or an int, as an int."""
    return int(value, 16) if isinstance(value, str) else int(value)
