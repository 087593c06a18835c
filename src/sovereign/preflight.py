"""Simulate transactions before sending them, and decode why one would revert.

One step is a plain ``eth_call`` from the real sender against the pending block:
nothing is signed or sent, and ape's revert call-trace printing is not triggered.
Several steps (approve then fund; schedule then, after the delay, execute) are
simulated together with ``eth_simulateV1``: each step sees the state the steps
before it leave, and a step can run in a later block at a later time. A node
without ``eth_simulateV1`` cannot promise that a later step will pass, so a plan of
several steps is refused there rather than half sent, with one exception: Hardhat's
node on a local chain id (31337, 1337), a throw-away development chain, where the
plan is run for real between ``evm_snapshot`` and ``evm_revert`` (see
``_simulate_on_hardhat``). Revert data is decoded against every error of the
system's contracts (OpenZeppelin's inherited ones included).
"""

from __future__ import annotations

import os
import tempfile
import time
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache

from ape import chain
from eth_abi import decode
from eth_utils import function_signature_to_4byte_selector, to_checksum_address, to_hex
from web3.exceptions import ContractCustomError, ContractLogicError

from sovereign.artifacts import all_types
from sovereign.errors import describe


@dataclass(frozen=True)
class Revert:
    name: str
    inputs: dict
    raw: str

    @property
    def sentence(self) -> str:
        return describe(self.name, self.inputs)


@cache
def _error_table() -> dict[bytes, tuple[str, list[str], list[str]]]:
    table = {}
    for contract_type in all_types():
        for err in contract_type.errors:
            types = [i.canonical_type for i in err.inputs]
            sig = f"{err.name}({','.join(types)})"
            table[function_signature_to_4byte_selector(sig)] = (
                err.name,
                [i.name for i in err.inputs],
                types,
            )
    return table


def _revert_bytes(data) -> bytes:
    """Revert data as nodes give it: hex text, bytes, or (Hardhat) a dict holding it."""
    if isinstance(data, dict):
        data = data.get("data") or data.get("result") or ""
        if isinstance(data, dict):
            return _revert_bytes(data)
    if isinstance(data, str):
        text = data[2:] if data.startswith("0x") else data
        try:
            return bytes.fromhex(text)
        except ValueError:
            return b""
    return bytes(data or b"")


def decode_revert(data) -> Revert:
    raw = _revert_bytes(data)
    hexed = to_hex(raw)
    if len(raw) < 4:
        return Revert("EmptyRevert", {}, hexed)
    if raw[:4] == bytes.fromhex("08c379a0"):  # Error(string)
        return Revert("Error", {"reason": decode(["string"], raw[4:])[0]}, hexed)
    if raw[:4] == bytes.fromhex("4e487b71"):  # Panic(uint256)
        return Revert("Panic", {"code": decode(["uint256"], raw[4:])[0]}, hexed)
    entry = _error_table().get(raw[:4])
    if entry is None:
        return Revert(f"UnknownError_{raw[:4].hex()}", {}, hexed)
    name, names, types = entry
    values = [
        to_checksum_address(v) if t == "address" else v
        for t, v in zip(types, decode(types, raw[4:]), strict=True)
    ]
    return Revert(name, dict(zip(names, values, strict=True)), hexed)


def simulate(contract, method: str, *args, sender) -> Revert | None:
    """``None`` when the call would succeed, else the decoded revert."""
    data = getattr(contract, method).encode_input(*args)
    tx = {
        "from": str(sender.address if hasattr(sender, "address") else sender),
        "to": str(contract.address),
        "data": to_hex(data),
    }
    try:
        chain.provider.web3.eth.call(tx, "pending")
    except ContractCustomError as err:
        return decode_revert(err.data or err.message)
    except ContractLogicError as err:
        return decode_revert(err.data) if err.data else Revert("Error", {"reason": str(err)}, "")
    return None


@dataclass(frozen=True)
class Call:
    """One step of a plan: ``contract.method(*args)`` from ``sender``, optionally not
    before ``not_before`` (a UNIX time: a scheduled operation's execution)."""

    contract: object
    method: str
    args: tuple
    sender: object
    not_before: int = 0

    def tx(self) -> dict:
        data = getattr(self.contract, self.method).encode_input(*self.args)
        sender = self.sender.address if hasattr(self.sender, "address") else self.sender
        return {"from": str(sender), "to": str(self.contract.address), "data": to_hex(data)}


class CannotSimulate(Exception):
    """The node cannot simulate several steps in sequence."""


def simulate_plan(calls: list[Call]) -> tuple[int, Revert] | None:
    """``None`` when every step would succeed in order, else (index, revert) of the
    first that would fail. One step is an ``eth_call``; more use ``eth_simulateV1``
    (on a local Hardhat chain, which has none: a snapshot, the steps, a revert)."""
    if len(calls) == 1 and not calls[0].not_before:
        c = calls[0]
        revert = simulate(c.contract, c.method, *c.args, sender=c.sender)
        return None if revert is None else (0, revert)
    blocks, head = [], chain.blocks.head
    for call in calls:
        block = {"calls": [call.tx()]}
        if call.not_before:
            block["blockOverrides"] = {"time": hex(max(call.not_before, head.timestamp + 1))}
        blocks.append(block)
    try:
        answer = chain.provider.make_request(
            "eth_simulateV1", [{"blockStateCalls": blocks, "validation": False}, "latest"]
        )
    except Exception as err:  # noqa: BLE001 - every provider words "method not found" its own way
        if _local_hardhat():
            return _simulate_on_hardhat(calls)
        raise CannotSimulate(
            f"the node cannot simulate {len(calls)} steps in sequence (eth_simulateV1: "
            f"{str(err).splitlines()[0][:120]}); nothing was sent"
        ) from None
    for index, block in enumerate(answer):
        result = block["calls"][0]
        if int(result["status"], 16) == 1:
            continue
        data = result.get("returnData") or (result.get("error") or {}).get("data") or "0x"
        return index, decode_revert(data)
    return None


# ------------------------------------------------- Hardhat: snapshot, run, revert

LOCAL_CHAIN_IDS = (31337, 1337)  # as sovereign.operations.LOCAL_CHAIN_IDS
GAS_MONEY = 10**20  # [wei] 100 ether: gas for any step of a simulation


class _RpcError(Exception):
    def __init__(self, error: dict):
        super().__init__(str(error.get("message", error)))
        self.error = error


def _raw(method: str, params: list | None = None):
    """One request below web3's formatting: the node's own JSON, under any provider."""
    answer = chain.provider.web3.provider.make_request(method, params or [])
    if "error" in answer:
        raise _RpcError(answer["error"])
    return answer.get("result")


def _local_hardhat() -> bool:
    """Hardhat's node (``HardhatNetwork/…``) on a local chain id: never a real network."""
    if chain.chain_id not in LOCAL_CHAIN_IDS:
        return False
    try:
        return str(_raw("web3_clientVersion")).startswith("HardhatNetwork/")
    except Exception:  # noqa: BLE001 - a node that does not say is not Hardhat
        return False


@contextmanager
def _node_lock():
    """One snapshot simulation at a time on this machine (one lock file for every node:
    a simulation takes a fraction of a second): a second one on the same node would
    revert the first's steps (reverting a snapshot drops the later ones)."""
    try:
        import fcntl
    except ImportError:  # not POSIX: no lock
        yield
        return
    path = os.path.join(tempfile.gettempdir(), "sovereign-hardhat-simulation.lock")
    handle = os.open(path, os.O_RDONLY | os.O_CREAT, 0o644)  # read-only: any user may lock
    try:
        fcntl.flock(handle, fcntl.LOCK_EX)
        yield
    finally:
        os.close(handle)  # releases the lock


def _call_revert(tx: dict) -> Revert | None:
    try:
        _raw("eth_call", [tx, "pending"])
    except _RpcError as err:
        data = err.error.get("data")
        if data is None:
            return Revert("Error", {"reason": str(err)}, "")
        return decode_revert(data)
    return None


def _block_txs(tag) -> list[str]:
    block = _raw("eth_getBlockByNumber", [tag, False]) or {}
    return [t if isinstance(t, str) else t["hash"] for t in block.get("transactions", [])]


def _simulate_on_hardhat(calls: list[Call]) -> tuple[int, Revert] | None:
    """The plan as ``eth_simulateV1`` would run it, on Hardhat's node: under a snapshot,
    each step is an ``eth_call`` on the state the steps before it left, then sent for
    real (from the node's unlocked account, or impersonated) and mined, so that the
    next step sees its effects; a step not before a time runs in a block mined at that
    time. Then the snapshot is reverted: blocks, nonces, balances, the clock and the
    pending transactions are as they were. The last step is only called, never sent.
    As under ``eth_simulateV1`` without validation, a sender needs no ether of its own.

    A transaction another client sends to the node meanwhile would be undone with the
    snapshot: simulations of this machine take turns (a lock file), and a
    foreign transaction found in the blocks mined meanwhile is named in the refusal."""
    with _node_lock():
        head = int(_raw("eth_blockNumber"), 16)
        before = set(_block_txs("pending"))  # waiting already: the revert restores them
        unlocked = {a.lower() for a in _raw("eth_accounts")}
        snapshot, impersonated, ours = _raw("evm_snapshot"), set(), set()
        failed = foreign = trouble = None
        try:
            failed = _run_steps(calls, unlocked, impersonated, ours)
            number = int(_raw("eth_blockNumber"), 16)
            seen = {h for n in range(head + 1, number + 1) for h in _block_txs(hex(n))}
            foreign = sorted((seen | set(_block_txs("pending"))) - ours - before)
        except _RpcError as err:  # the node refused a step (no funds, say): not a revert
            trouble = str(err).splitlines()[0][:160]
        finally:
            undone = _raw("evm_revert", [snapshot])
            for address in impersonated:
                _raw("hardhat_stopImpersonatingAccount", [address])
    if not undone:
        raise CannotSimulate(
            "the node did not revert the snapshot of the simulation (evm_revert): its "
            "state may hold the simulated steps; restart the node; nothing was sent"
        )
    if trouble:
        raise CannotSimulate(
            f"the node refused a step of the simulation ({trouble}); nothing was sent"
        )
    if foreign:
        raise CannotSimulate(
            f"another client's transaction ({', '.join(foreign)}) reached the node while "
            "the plan was simulated and was undone with the simulation: send it again; "
            "nothing was sent"
        )
    return failed


def _run_steps(calls, unlocked: set, impersonated: set, ours: set):
    for index, call in enumerate(calls):
        tx = call.tx()
        if call.not_before:
            latest = int(_raw("eth_getBlockByNumber", ["latest", False])["timestamp"], 16)
            _raw("evm_mine", [max(call.not_before, latest + 1)])
        revert = _call_revert(tx)
        if revert is not None:
            return index, revert
        if index == len(calls) - 1:
            return None
        sender = tx["from"].lower()
        if sender not in unlocked and sender not in impersonated:
            _raw("hardhat_impersonateAccount", [tx["from"]])
            impersonated.add(sender)
        # eth_simulateV1 runs without validation (no gas paid): a sender without ether
        # (a Safe, say, whose owners pay) gets some, undone with the snapshot.
        balance = int(_raw("eth_getBalance", [tx["from"], "latest"]), 16)
        if balance < GAS_MONEY:
            _raw("hardhat_setBalance", [tx["from"], hex(balance + GAS_MONEY)])
        tx_hash = _raw("eth_sendTransaction", [tx])
        ours.add(tx_hash)
        if int(_mined(tx_hash)["status"], 16) != 1:  # the call passed, the transaction not
            return index, Revert("EmptyRevert", {}, "0x")
    return None


def _mined(tx_hash: str, timeout: float = 30) -> dict:
    """The receipt of a transaction sent in the simulation: mined at once (automine), or
    by ``evm_mine`` when the node mines on an interval."""
    deadline = time.monotonic() + timeout
    while True:
        receipt = _raw("eth_getTransactionReceipt", [tx_hash])
        if receipt is not None:
            return receipt
        if time.monotonic() > deadline:
            raise CannotSimulate(f"simulated step {tx_hash} was not mined; nothing was sent")
        _raw("evm_mine")
