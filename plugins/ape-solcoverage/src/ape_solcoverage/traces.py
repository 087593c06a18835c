"""One trace: fetch it from the node, pair its steps with its call tree, record the hits.

Kept per executed code: the program counters that ran and the successor of every JUMPI
that ran.

One trace = one HTTP request holding two JSON-RPC calls (a batch): Anvil's
``structLogs`` tracer with stack, memory, storage and return data disabled (so each
step is only ``pc``, ``op``, ``depth``, gas), and ``callTracer`` (the call tree).
The two are walked together: each CALL/STATICCALL/DELEGATECALL/CALLCODE/CREATE/CREATE2
step consumes the next child of the current call-tree node (the tree lists every
call the EVM made, in order, precompiles and code-less accounts included); when the
step after it is one level deeper, that child's code is now running. A step whose
opcode does not match the next child's type, or a depth jump with no call before it,
makes the whole trace count as "unpaired" and nothing of it is recorded.

Which code a frame runs: a CREATE frame (and a deployment) runs its ``input`` (init
code); a call frame runs the code at its ``to`` address (for DELEGATECALL/CALLCODE the
call tree's ``to`` is the callee, whose code runs). That code comes from a CREATE in
the same trace, else from ``eth_getCode`` at the traced block (cached per address;
the tracer drops the cache on every ``evm_revert``/``anvil_*``/``hardhat_*`` request,
the only ways code at an address can change besides a CREATE, which always lands on an
empty address).
"""

from __future__ import annotations

import hashlib
import time
from collections import Counter

CALL_OPS = frozenset({"CALL", "STATICCALL", "DELEGATECALL", "CALLCODE", "CREATE", "CREATE2"})
CREATE_TYPES = frozenset({"CREATE", "CREATE2"})
STRUCT_OPTIONS = {
    "disableStack": True,
    "disableStorage": True,
    "disableMemory": True,
    "enableMemory": False,
    "enableReturnData": False,
}
CALL_TRACER = {"tracer": "callTracer"}
_RECEIPT = "eth_getTransactionReceipt"
_CBOR_IPFS_HEX = "a264697066735822"
_CBOR_HEX_LENGTH = 106  # 53 bytes: the map and its two-byte length


class Unpaired(Exception):
    """The structLogs steps and the call tree do not line up."""


class NotMined(Exception):
    """A sent transaction never showed up in a block."""


def runtime_key(code_hex: str) -> str:
    """A short identity for runtime code: its length and its trailing metadata. Two
    deployments of one contract differ only in immutables and share the key (their
    instructions, and so their pc -> source mapping, are identical); the controller
    checks the representative against the compiled code, immutables masked."""
    code_hex = code_hex.removeprefix("0x").lower()
    if code_hex.endswith("0033") and len(code_hex) >= _CBOR_HEX_LENGTH:
        return f"r{len(code_hex) // 2}:{code_hex[-_CBOR_HEX_LENGTH:]}"
    return "r" + hashlib.sha256(code_hex.encode()).hexdigest()


def init_key(code_hex: str) -> str:
    """Identity for init code: the code up to the end of its last metadata block (what
    follows is constructor arguments), hashed."""
    code_hex = code_hex.removeprefix("0x").lower()
    end = len(code_hex)
    i = code_hex.rfind(_CBOR_IPFS_HEX)
    while i >= 0 and i % 2:  # only byte-aligned hits
        i = code_hex.rfind(_CBOR_IPFS_HEX, 0, i)
    if i >= 0 and code_hex[i + _CBOR_HEX_LENGTH - 4 : i + _CBOR_HEX_LENGTH] == "0033":
        end = i + _CBOR_HEX_LENGTH
    return "i" + hashlib.sha256(code_hex[:end].encode()).hexdigest()


class Recorder:
    """Everything one test process saw: per code key, the kind and one sample of the
    code, the executed pcs and the executed JUMPI edges (pc, next pc)."""

    def __init__(self) -> None:
        self.codes: dict[str, tuple[str, str]] = {}
        self.pcs: dict[str, set[int]] = {}
        self.edges: dict[str, set[tuple[int, int]]] = {}
        self.stats: Counter = Counter()
        self.errors: Counter = Counter()

    def add(self, key: str, kind: str, code_hex: str, pcs: set[int], edges: set) -> None:
        if key not in self.codes:
            self.codes[key] = (kind, code_hex.removeprefix("0x").lower())
            self.pcs[key] = set()
            self.edges[key] = set()
        self.pcs[key] |= pcs
        self.edges[key] |= edges

    def to_json(self) -> dict:
        return {
            "version": 1,
            "codes": {k: {"kind": kind, "code": code} for k, (kind, code) in self.codes.items()},
            "pcs": {k: sorted(v) for k, v in self.pcs.items()},
            "edges": {k: sorted(v) for k, v in self.edges.items()},
            "stats": dict(self.stats),
            "errors": dict(self.errors),
        }


class _Frame:
    __slots__ = ("node", "next_child", "pcs", "edges")

    def __init__(self, node: dict):
        self.node = node
        self.next_child = 0
        self.pcs: set[int] = set()
        self.edges: set[tuple[int, int]] = set()


def pair_frames(steps: list, root: dict) -> list[_Frame]:
    """Walk structLogs steps (objects with pc, op, depth) against the call tree."""
    top = _Frame(root)
    frames = [top]
    stack = [top]
    frame = top
    depth = steps[0].depth if steps else 1
    pending = None
    n = len(steps)
    for i in range(n):
        step = steps[i]
        d = step.depth
        if d != depth:
            if d == depth + 1 and pending is not None:
                frame = _Frame(pending)
                frames.append(frame)
                stack.append(frame)
            elif d < depth and depth - d < len(stack):
                del stack[d - depth :]
                frame = stack[-1]
            else:
                raise Unpaired(f"depth {depth} -> {d} at step {i}")
            depth = d
        pending = None
        pc = step.pc
        frame.pcs.add(pc)
        op = step.op
        if op == "JUMPI":
            if i + 1 < n and steps[i + 1].depth == d:
                frame.edges.add((pc, steps[i + 1].pc))
        elif op in CALL_OPS:
            children = frame.node.get("calls") or ()
            k = frame.next_child
            if k >= len(children) or children[k].get("type") != op:
                raise Unpaired(f"{op} at step {i} has no matching call-tree entry")
            pending = children[k]
            frame.next_child = k + 1
    return frames


class TraceClient:
    """Traces through its own HTTP session to the node the test process talks to."""

    def __init__(self, recorder: Recorder):
        import requests

        from ape_solcoverage import wire

        self._decode_batch = wire.decode_batch
        self._decode_struct = wire.decode_struct
        self._decode_any = wire.decode_any
        self._encode = wire.encode
        self.session = requests.Session()
        self.recorder = recorder
        self.code_by_address: dict[tuple[str, str], tuple[str, str]] = {}

    # ------------------------------------------------------------------ RPC

    def _batch(self, uri: str, calls: list[tuple[str, list]]) -> list:
        body = [
            {"jsonrpc": "2.0", "id": i, "method": m, "params": p} for i, (m, p) in enumerate(calls)
        ]
        started = time.perf_counter()
        response = self.session.post(
            uri, data=self._encode(body), headers={"Content-Type": "application/json"}, timeout=120
        )
        response.raise_for_status()
        self.recorder.stats["rpc_ms"] += int((time.perf_counter() - started) * 1000)
        self.recorder.stats["rpc_bytes"] += len(response.content)
        envelopes = sorted(self._decode_batch(response.content), key=lambda e: e.id)
        if len(envelopes) != len(calls):
            raise RuntimeError(f"batch of {len(calls)} answered with {len(envelopes)}")
        for envelope, (method, _) in zip(envelopes, calls, strict=True):
            if envelope.error is not None:
                raise RuntimeError(f"{method}: {envelope.error.get('message', envelope.error)}")
        return [e.result for e in envelopes]

    def _wait_mined(self, uri: str, tx_hash: str, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        pause = 0.002
        while True:
            (raw,) = self._batch(uri, [(_RECEIPT, [tx_hash])])
            if self._decode_any(raw):
                return
            if time.monotonic() > deadline:
                raise NotMined(f"{tx_hash} not mined after {timeout:.0f} s")
            time.sleep(pause)
            pause = min(pause * 2, 0.1)

    def _trace_transaction(self, uri: str, tx_hash: str, wait: bool = False) -> None:
        if wait:
            self._wait_mined(uri, tx_hash)
        raw_struct, raw_calls = self._batch(
            uri,
            [
                ("debug_traceTransaction", [tx_hash, STRUCT_OPTIONS]),
                ("debug_traceTransaction", [tx_hash, CALL_TRACER]),
            ],
        )
        if not wait and (
            "type" not in self._decode_any(raw_calls)
            or not self._decode_struct(raw_struct).structLogs
        ):
            # Not found (Anvil answers an empty default trace), or found by one of the two
            # traces only: the block was mined between them. Wait until it is, once; a
            # transaction that runs no code (a plain transfer) gives no steps again.
            return self._trace_transaction(uri, tx_hash, True)
        self._record(uri, raw_struct, raw_calls, "latest")

    def _trace_call(self, uri: str, params: list) -> None:
        if not params:
            return
        tx = params[0]
        block = params[1] if len(params) > 1 else "latest"
        struct_opts = dict(STRUCT_OPTIONS)
        call_opts = dict(CALL_TRACER)
        if len(params) > 2 and params[2]:
            struct_opts["stateOverrides"] = params[2]
            call_opts["stateOverrides"] = params[2]
        raw_struct, raw_calls = self._batch(
            uri,
            [
                ("debug_traceCall", [tx, block, struct_opts]),
                ("debug_traceCall", [tx, block, call_opts]),
            ],
        )
        self._record(uri, raw_struct, raw_calls, block)

    # ------------------------------------------------------------------ recording

    def _record(self, uri: str, raw_struct, raw_calls, block) -> None:
        steps = self._decode_struct(raw_struct).structLogs
        if not steps:
            return
        root = self._decode_any(raw_calls)
        frames = pair_frames(steps, root)
        self.recorder.stats["steps"] += len(steps)

        # Code created within this trace, by address (the init code's output).
        created: dict[str, str] = {}
        stack = [root]
        while stack:
            node = stack.pop()
            if node.get("type") in CREATE_TYPES and not node.get("error") and node.get("to"):
                output = node.get("output") or "0x"
                if len(output) > 2:
                    created[node["to"].lower()] = output
            stack.extend(node.get("calls") or ())

        known: dict[str, tuple[str, str]] = {}  # address -> (key, code), for this trace
        missing = set()
        for frame in frames:
            node = frame.node
            if frame.pcs and node.get("type") not in CREATE_TYPES:
                address = (node.get("to") or "").lower()
                if address not in created:
                    entry = self.code_by_address.get((uri, address))
                    if entry is None:
                        missing.add(address)
                    else:
                        known[address] = entry
        if missing:
            # Code of a traced call is the code at the block the call ran on; for a
            # transaction, the latest block (it was just mined, nothing since).
            tag = block if isinstance(block, str) else hex(block)
            order = sorted(missing)
            codes = self._batch(uri, [("eth_getCode", [a, tag]) for a in order])
            for address, raw in zip(order, codes, strict=True):
                code = self._decode_any(raw) or "0x"
                if len(code) > 2:
                    known[address] = (runtime_key(code), code)
                    self.code_by_address[(uri, address)] = known[address]

        for frame in frames:
            if not frame.pcs:
                continue
            node = frame.node
            if node.get("type") in CREATE_TYPES:
                code = node.get("input") or "0x"
                self.recorder.add(init_key(code), "init", code, frame.pcs, frame.edges)
                continue
            address = (node.get("to") or "").lower()
            if address in created:
                code = created[address]
                key = runtime_key(code)
            elif address in known:
                key, code = known[address]
            else:
                self.recorder.stats["frames_without_code"] += 1
                self.recorder.errors[f"no code at {address} (block {block})"] += 1
                continue
            self.recorder.add(key, "runtime", code, frame.pcs, frame.edges)
