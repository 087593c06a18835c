"""The test processes' request hook, and the queue that traces each transaction and call.

The tracing of one of them is in ``traces``.

When: the hook sees every request the test process sends to the node. A call is
queued for tracing with its own parameters and block tag; a transaction by its hash
(Anvil answers ``eth_sendRawTransaction`` before the block is mined; a trace that
finds no transaction waits for the receipt and tries again). The queue is worked off
by one background thread while the test goes on, and *before* any request that
changes the chain (another transaction, ``evm_revert``, ``evm_mine``, time travel,
``anvil_*``) the hook waits until the queue is empty: a call is always traced on the
state it ran on, a transaction before its block can be reverted away.
"""

from __future__ import annotations

import queue
import threading
import time

from ape_solcoverage.traces import NotMined, Recorder, TraceClient, Unpaired

# RPC methods after which code at an address may have changed (snapshot revert,
# set code, reset, state load): the address -> code cache is dropped.
_INVALIDATING_PREFIXES = ("evm_revert", "anvil_", "hardhat_", "evm_setAccountCode")
# Requests that change the chain: queued traces are finished before they go out.
_STATE_PREFIXES = ("evm_", "anvil_", "hardhat_")
_READ_ONLY = frozenset({"evm_snapshot", "anvil_getAutomine", "anvil_nodeInfo", "anvil_metadata"})
_SENDS = frozenset({"eth_sendRawTransaction", "eth_sendTransaction"})
_WATCHED = frozenset({"eth_sendRawTransaction", "eth_sendTransaction", "eth_call"})
_MINING = frozenset({"evm_mine", "anvil_mine", "evm_setAutomine", "anvil_setAutomine"})


class Tracer(TraceClient):
    """Traces what the hook reports: in a background thread, and never across a change
    of the chain (see ``before``)."""

    def __init__(self, recorder: Recorder, threaded: bool = True):
        super().__init__(recorder)
        self.disabled_uris: set[str] = set()
        self.threaded = threaded
        self._jobs: queue.Queue = queue.Queue()
        # Transactions sent while a node does not mine on its own (evm_setAutomine
        # false): traced once a mining request has been answered, never waited for.
        self.manual_mining: set[str] = set()
        self.unmined: list[tuple[str, str]] = []
        self._worker: threading.Thread | None = None

    # ------------------------------------------------------------------ hook entry

    def before(self, uri: str, method: str) -> None:
        """Called before a request goes out. Traces run in a background thread while
        the test goes on, but never across a change of the chain: a transaction, a
        snapshot revert, time travel or any other evm_/anvil_/hardhat_ request first
        waits until every queued trace is done (so a call is traced on the state it
        ran on, and a transaction before its block can be reverted away)."""
        if method in _SENDS or (method.startswith(_STATE_PREFIXES) and method not in _READ_ONLY):
            self.drain()

    def observe_raw(self, uri: str, method: str, request_data: bytes, raw: bytes) -> None:
        if uri in self.disabled_uris:
            return
        if method == "eth_call" or method in _MINING:
            self.observe(uri, method, self._decode_any(request_data).get("params"), None)
        elif method in _SENDS:
            self.observe(uri, method, None, self._decode_any(raw) if raw else None)
        else:
            self.observe(uri, method, None, None)

    def observe(self, uri: str, method: str, params, response) -> None:
        """One request and its answer, as the hook saw them."""
        if uri in self.disabled_uris:
            return
        if method in _SENDS:
            tx_hash = response.get("result") if isinstance(response, dict) else None
            if tx_hash and uri in self.manual_mining:
                self.unmined.append((uri, tx_hash))
            elif tx_hash:
                self._submit("transactions", self._trace_transaction, uri, tx_hash)
        elif method in _MINING:
            if method.endswith("setAutomine"):
                if params and params[0] is False:
                    self.manual_mining.add(uri)
                else:
                    self.manual_mining.discard(uri)
                return
            held, self.unmined = (
                [h for h in self.unmined if h[0] == uri],
                [h for h in self.unmined if h[0] != uri],
            )
            for _, tx_hash in held:  # mined by this request
                self._submit("transactions", self._trace_transaction, uri, tx_hash)
        elif method == "eth_call":
            self._submit("calls", self._trace_call, uri, list(params or ()))
        elif method.startswith(_INVALIDATING_PREFIXES) and method not in _READ_ONLY:
            # (before() drained the queue: no trace is using the cache right now)
            self.code_by_address = {k: v for k, v in self.code_by_address.items() if k[0] != uri}

    def _submit(self, what: str, fn, *args) -> None:
        if not self.threaded:
            self._guarded(what, fn, *args)
            return
        if self._worker is None:
            self._worker = threading.Thread(target=self._work, name="solcoverage", daemon=True)
            self._worker.start()
        self._jobs.put((what, fn, args))

    def _work(self) -> None:
        while True:
            job = self._jobs.get()
            try:
                if job is None:
                    return
                what, fn, args = job
                self._guarded(what, fn, *args)
            finally:
                self._jobs.task_done()

    def drain(self) -> None:
        """Wait until every queued trace is done."""
        if self._worker is not None:
            self._jobs.join()

    def close(self) -> None:
        if self._worker is not None:
            self._jobs.put(None)
            self._worker.join()
            self._worker = None

    def _guarded(self, what: str, fn, *args) -> None:
        uri = args[0]
        started = time.perf_counter()
        try:
            fn(*args)
            self.recorder.stats[what] += 1
        except Unpaired as err:
            self.recorder.stats[f"{what}_unpaired"] += 1
            self.recorder.errors[f"unpaired: {err}"[:200]] += 1
        except NotMined as err:
            self.recorder.stats[f"{what}_failed"] += 1
            self.recorder.errors[f"not mined: {err}"[:200]] += 1
        except Exception as err:  # never break the test run; count and report instead
            self.recorder.stats[f"{what}_failed"] += 1
            self.recorder.errors[f"{type(err).__name__}: {err}"[:200]] += 1
            if "debug_trace" in str(err) and "not" in str(err).lower():
                self.disabled_uris.add(uri)  # this node cannot trace
        finally:
            self.recorder.stats["trace_ms"] += int((time.perf_counter() - started) * 1000)


def install(tracer: Tracer) -> None:
    """Wrap web3's ``HTTPProvider._make_request`` (bytes in, bytes out), through which
    every request ape makes passes: eth_sendRawTransaction for signed test-account
    transactions, eth_sendTransaction for impersonated ones, eth_call for calls and
    revert replays, evm_revert for isolation. (``make_request`` one level up would
    be missed by web3's cached middleware chain when patched after connecting.)
    Clients that bypass web3 must post through ``provider._make_request`` to be seen
    (batches included: a body that is a JSON list is split into its requests here;
    web3's own ``make_batch_request`` bypasses ``_make_request`` and is not seen)."""
    from web3.providers.rpc.rpc import HTTPProvider

    if getattr(HTTPProvider._make_request, "_solcoverage", False):
        return
    original = HTTPProvider._make_request

    def _make_request(self, method, request_data):
        if request_data[:1] == b"[":  # a JSON-RPC batch posted through _make_request
            return _batch_request(self, original, request_data)
        try:
            tracer.before(self.endpoint_uri, method)
        except Exception as err:  # never break the test run
            tracer.recorder.errors[f"hook: {type(err).__name__}: {err}"[:200]] += 1
        raw = original(self, method, request_data)
        if method in _WATCHED or method in _MINING or method.startswith(_INVALIDATING_PREFIXES):
            try:
                tracer.observe_raw(self.endpoint_uri, method, request_data, raw)
            except Exception as err:  # never break the test run
                tracer.recorder.errors[f"hook: {type(err).__name__}: {err}"[:200]] += 1
        return raw

    def _batch_request(provider, send, request_data):
        """A batch body (bytes starting with ``[``): each request in it is handled as if
        sent alone (``before`` for all of them, then ``observe`` with its own answer)."""
        uri = provider.endpoint_uri
        try:
            requests = tracer._decode_any(request_data)
            for request in requests:
                tracer.before(uri, request.get("method", ""))
        except Exception as err:  # never break the test run
            requests = []
            tracer.recorder.errors[f"hook: {type(err).__name__}: {err}"[:200]] += 1
        raw = send(provider, "batch", request_data)
        try:
            answers = {a.get("id"): a for a in tracer._decode_any(raw)} if requests else {}
            for request in requests:
                method = request.get("method", "")
                if (
                    method in _WATCHED
                    or method in _MINING
                    or method.startswith(_INVALIDATING_PREFIXES)
                ):
                    answer = answers.get(request.get("id"))
                    tracer.observe(uri, method, request.get("params"), answer)
        except Exception as err:  # never break the test run
            tracer.recorder.errors[f"hook: {type(err).__name__}: {err}"[:200]] += 1
        return raw

    _make_request._solcoverage = True
    _make_request._original = original
    _make_request._tracer = tracer
    HTTPProvider._make_request = _make_request


def uninstall() -> None:
    from web3.providers.rpc.rpc import HTTPProvider

    original = getattr(HTTPProvider._make_request, "_original", None)
    if original is not None:
        HTTPProvider._make_request = original
