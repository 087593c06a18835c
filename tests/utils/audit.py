"""Helpers for the auditor's suite (attacks, properties, machines): raw JSON-RPC through Anvil.

Three things the plain ape API gets in the way of here:

- ``ape.chain.isolate()`` swallows every exception raised in its body (ape 0.8.51,
  ``except Exception: pass``), a failed ``assert`` included, so a hypothesis example
  wrapped in it could never fail. ``isolated()`` snapshots and reverts the same way
  and lets failures through.
- ``ape.reverts(Error, **inputs)`` around an eth_call (``method.call``) passes for any
  revert at all: ape does not decode the custom error of a call, and its context manager
  checks the error's name and inputs only when it could decode them. ``assert_reverts``
  makes the call itself, decodes the revert data against every error of the project
  (OpenZeppelin's included) and asserts the error's name and the inputs given.
- An ape transaction costs 100-150 ms of client work (signing and recovering in pure
  Python, nonce and receipt round trips); property loops send hundreds. ``send()``
  hands the same call to Anvil's unlocked dev account (the test mnemonic's accounts
  are unlocked on the node) and waits for the receipt: about 30 ms; ``deploy()`` does
  the same for a contract creation, from a fresh address (see there why). ``read()``
  is a bare eth_call decoded with eth_abi (web3's middleware asks the node for the
  chain id twice per call), for the views property examples repeat.
"""

from __future__ import annotations

import json
import secrets
import time
from contextlib import contextmanager

import ape
from eth_abi import decode
from eth_utils import to_checksum_address, to_hex

from sovereign import governance
from sovereign.preflight import Revert, decode_revert
from tests.utils.constants import OFFSET, PROFILE, REPORTS


def model_shares(assets: int, nav: int, supply: int, ceil: bool = False) -> int:
    """Shares for `assets` at NAV `nav` and `supply` shares: OpenZeppelin's conversion with
    virtual shares and assets, rounded down (or up)."""
    num, den = assets * (supply + OFFSET), nav + 1
    return -(-num // den) if ceil else num // den


def model_assets(shares: int, nav: int, supply: int, ceil: bool = False) -> int:
    """Assets for `shares` (see model_shares)."""
    num, den = shares * (nav + 1), supply + OFFSET
    return -(-num // den) if ceil else num // den


@contextmanager
def isolated():
    """Run the body against a snapshot of the chain and revert it afterwards.
    Unlike ``ape.chain.isolate()``, an exception (a failed assertion) propagates."""
    snapshot = ape.chain.snapshot()
    try:
        yield
    finally:
        ape.chain.restore(snapshot)


def rpc(method: str, params: list):
    """A JSON-RPC request straight to the node (no web3 middleware: web3 would ask the
    chain id twice per call). Returns the response: ``result`` or ``error``."""
    return ape.chain.provider.web3.provider.make_request(method, params)


def _call(method, args, by) -> dict:
    tx = {"to": method.contract.address, "data": to_hex(method.encode_input(*args))}
    if by is not None:
        tx["from"] = getattr(by, "address", by)
    return rpc("eth_call", [tx, "latest"])


def revert_of(method, *args, by=None) -> Revert | None:
    """The decoded revert of ``method(*args)`` called by ``by`` against the latest block
    (so at the time of the last mined block), or None when it would succeed."""
    response = _call(method, args, by)
    if "error" not in response:
        return None
    return decode_revert(response["error"].get("data") or "0x")


def read(method, *args, by=None):
    """``method(*args)`` (a view, or a state-changing function simulated) called by ``by``
    against the latest block: the decoded value, or a tuple for several outputs (a struct
    output as one tuple). Addresses come back checksummed."""
    response = _call(method, args, by)
    if "error" in response:
        raise AssertionError(f"{method} reverted: {revert_of(method, *args, by=by)}")
    types = [o.canonical_type for o in method.abis[0].outputs]
    raw = bytes.fromhex(response["result"][2:])
    values = tuple(
        to_checksum_address(v) if t == "address" else v
        for t, v in zip(types, decode(types, raw), strict=True)
    )
    return values[0] if len(values) == 1 else values


def assert_reverts(error, method, *args, by=None, **inputs) -> Revert:
    """Assert that ``method(*args)``, called by ``by``, reverts with the custom error
    ``error`` (a contract's error class such as ``vault.VaultPaused``, or its name) and
    that each input named in ``inputs`` has exactly the value given."""
    name = error if isinstance(error, str) else error.__name__
    revert = revert_of(method, *args, by=by)
    assert revert is not None, f"{method} did not revert (expected {name})"
    assert revert.name == name, f"expected {name}, got {revert.name}{revert.inputs}"
    for key, value in inputs.items():
        assert key in revert.inputs, f"{name} has no input {key!r}: {revert.inputs}"
        assert revert.inputs[key] == value, f"{name}.{key}: {revert.inputs[key]!r} != {value!r}"
    return revert


def transact(tx: dict) -> dict:
    """Send ``tx`` from an unlocked dev account and wait for its receipt (Anvil mines it
    at once, but answers the send before the block is sealed)."""
    tx = {"gas": hex(15_000_000), "gasPrice": "0x0", **tx}  # Anvil runs with a zero base fee
    response = rpc("eth_sendTransaction", [tx])
    assert "error" not in response, response["error"]
    deadline = time.monotonic() + 30
    while (receipt := rpc("eth_getTransactionReceipt", [response["result"]])["result"]) is None:
        assert time.monotonic() < deadline, f"no receipt for {response['result']}"
        time.sleep(0.001)
    return receipt


def send(method, *args, sender):
    """Send ``method(*args)`` as a transaction from ``sender`` (an Anvil dev account)
    and return the receipt. A revert fails loudly, with the decoded custom error."""
    data = to_hex(method.encode_input(*args))
    tx = {"from": getattr(sender, "address", sender), "to": method.contract.address, "data": data}
    receipt = transact(tx)
    if receipt["status"] != "0x1":
        raise AssertionError(f"{method} reverted: {revert_of(method, *args, by=sender)}")
    return receipt


def deploy(container, *args):
    """Deploy ``container`` (``project.Name``) with constructor ``args`` from a fresh,
    never-used address (impersonated; gas is free on this node) and return the ape
    instance. Fresh because Anvil (1.7.1) can run the old code of a contract created in
    a reverted snapshot when another is later created at the same address (a deployer's
    nonce comes back with every revert): a TBillVault's code answered a MockERC20's calls.
    The deployer's identity matters to none of the contracts deployed here."""
    data = bytes(container.contract_type.deployment_bytecode.to_bytes())
    if args:
        data += bytes(container.constructor.encode_input(*args))
    sender = to_checksum_address(secrets.token_bytes(20))
    rpc("anvil_impersonateAccount", [sender])
    receipt = transact({"from": sender, "data": to_hex(data)})
    rpc("anvil_stopImpersonatingAccount", [sender])
    assert receipt["status"] == "0x1", f"deploying {container.contract_type.name} failed"
    return container.at(to_checksum_address(receipt["contractAddress"]))


def delayed(manager, contract, method: str, *args, sender):
    """A function held behind an execution delay, through the AccessManager: schedule,
    move the clock past the delay, execute (``gov`` of tests/conftest.py, on ``send``)."""
    data = getattr(contract, method).encode_input(*args)
    delay = governance.permission(manager, sender, contract, method).delay
    send(manager.schedule, contract.address, data, 0, sender=sender)
    ape.chain.pending_timestamp += delay
    return send(manager.execute, contract.address, data, sender=sender)


def schedule_now(manager, contract, method: str, *args, sender) -> bytes:
    """Schedule a delayed call and mine a block past the delay; returns its calldata, for
    an execution the test asserts (``assert_reverts(..., manager.execute, target, data)``)."""
    data = getattr(contract, method).encode_input(*args)
    delay = governance.permission(manager, sender, contract, method).delay
    send(manager.schedule, contract.address, data, 0, sender=sender)
    ape.chain.mine(1, timestamp=ape.chain.pending_timestamp + delay)
    return data


def new_series(system, debt_office, code: str, days: int, price: int = 980_000, issued=None):
    """A T-bill series issued now (or at `issued`) maturing `days` later, face 1.00 cash per
    token (6 decimals), its auction open at `price` cash per token for a million tokens."""
    issued = ape.chain.pending_timestamp if issued is None else issued
    registry, unit = system.registry, 10**6
    send(registry.createSeries, code, 6, unit, issued, issued + days * 86_400, sender=debt_office)
    series = ape.project.TBillSeries.at(registry.seriesByCode(code))
    send(registry.openAuction, series, price, 10**12, sender=debt_office)
    return series


def mine_at(timestamp: int) -> None:
    """Mine one block at ``timestamp``: ``read`` and ``assert_reverts`` then see that time."""
    ape.chain.provider.make_request("evm_mine", [timestamp])


def write_report(name: str, data: dict) -> None:
    """Write an audit suite's JSON summary to reports/<name>-<profile>.json (the profile from
    SOVEREIGN_PROFILE, default quick)."""
    REPORTS.mkdir(exist_ok=True)
    (REPORTS / f"{name}-{PROFILE}.json").write_text(json.dumps(data, indent=2) + "\n")
