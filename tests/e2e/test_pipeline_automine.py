"""The batch sender (sovereign/pipeline.py) against a node that mines on arrival.

Anvil's automine mines whenever a transaction arrives, and under load (ape-foundry's
embedded Anvil traces every step) many of those blocks are empty: up to 29 in a row
were seen while the batch's next nonce sat in the pool at a fee the node takes. The
fake node below does that the same way every time, with no clock: the blocks set off
by arrivals are counted at the next poll and are empty, and the pooled transactions
mine at the first quiet poll. A stall of the node is answered at once (the sender's
AUTOMINE_STALL wait is set to zero), so nothing here depends on time.
"""

from __future__ import annotations

import json
from types import SimpleNamespace

import pytest
from eth_utils import keccak, to_hex

from sovereign import pipeline
from sovereign.pipeline import GWEI, Instruction, Pipeline
from sovereign.rpc import RpcError

TIP = GWEI  # the first max fee: twice a zero base fee plus the tip, 1 gwei
RECEIVER = "0x2546BcD3c84621e976D8185a91A922aE77ECEc30"


@pytest.fixture(autouse=True)
def _no_stall_wait(monkeypatch):
    monkeypatch.setattr(pipeline, "AUTOMINE_STALL", 0.0)


class Sender:
    """An account that "signs" a transaction as JSON (the fake node reads it back)."""

    def __init__(self, address: str):
        self.address = address

    def sign_transaction(self, txn):
        fee = getattr(txn, "max_fee", None) or txn.gas_price
        raw = json.dumps({"from": self.address, "nonce": txn.nonce, "fee": fee}).encode()
        return SimpleNamespace(serialize_transaction=lambda: raw)


class AutomineNode:
    """Anvil's automine as the batch sender meets it on a slow node: one block per
    arrival, empty; then, at the first poll with no new arrival, one block with the
    pooled transactions in nonce order whose max fee covers the base fee (no block if
    none does). ``evm_mine`` mines a block, with whatever is minable."""

    def __init__(self, base: int = 0):
        self.head, self.base, self.arrivals = 1, base, 0
        self.mined: dict[str, int] = {}  # sender -> its mined nonce count
        self.pool: dict[tuple[str, int], tuple[str, int]] = {}  # (sender, nonce) -> hash, fee
        self.receipts: dict[str, dict] = {}
        self.empty_blocks = self.nudges = 0
        self.base_after_first_window: int | None = None  # the window filled blocks
        self.lose_once: set[int] = set()  # nonces whose first arrival the node loses

    # the Rpc interface the pipeline uses
    def call(self, method: str, params: list | None = None):
        answer = self._answer(method, params or [])
        if isinstance(answer, RpcError):
            raise RuntimeError(answer.message)
        return answer

    def batch(self, requests: list) -> list:
        return [self._answer(method, params) for method, params in requests]

    def _answer(self, method: str, params: list):
        if method == "anvil_getAutomine":
            return True
        if method == "eth_blockNumber":
            self._react()
            return hex(self.head)
        if method == "eth_getTransactionCount":
            address, tag = params
            pooled = sum(1 for s, _ in self.pool if s == address) if tag == "pending" else 0
            return hex(self.mined.get(address, 0) + pooled)
        if method == "eth_getBlockByNumber":
            return {"number": hex(self.head), "baseFeePerGas": hex(self.base)}
        if method == "eth_maxPriorityFeePerGas":
            return hex(TIP)
        if method == "eth_sendRawTransaction":
            return self._send(bytes.fromhex(params[0][2:]))
        if method == "eth_getTransactionReceipt":
            return self.receipts.get(params[0])
        if method == "evm_mine":
            self.nudges += 1
            self.head += 1
            self._include(self._minable())
            return "0x0"
        return RpcError(-32601, f"{method} not supported")

    def _send(self, raw: bytes):
        tx, tx_hash = json.loads(raw), to_hex(keccak(raw))
        slot = (tx["from"], tx["nonce"])
        if tx["nonce"] < self.mined.get(tx["from"], 0):
            return RpcError(-32003, "nonce too low")
        held = self.pool.get(slot)
        if held and held[0] == tx_hash:
            return RpcError(-32000, "transaction already imported")
        if held and tx["fee"] * 10 < held[1] * 11:
            return RpcError(-32000, "replacement transaction underpriced")
        self.arrivals += 1
        if tx["nonce"] in self.lose_once:  # accepted, then lost from the pool
            self.lose_once.discard(tx["nonce"])
            return tx_hash
        self.pool[slot] = (tx_hash, tx["fee"])
        return tx_hash

    def _react(self):
        if self.arrivals:  # one block per arrival, each empty
            self.head += self.arrivals
            self.empty_blocks += self.arrivals
            self.arrivals = 0
            if self.base_after_first_window is not None:
                self.base, self.base_after_first_window = self.base_after_first_window, None
        elif minable := self._minable():
            self.head += 1
            self._include(minable)

    def _minable(self) -> list[tuple[str, int]]:
        slots = []
        for sender in sorted({s for s, _ in self.pool}):
            nonce = self.mined.get(sender, 0)
            while (sender, nonce) in self.pool and self.pool[(sender, nonce)][1] >= self.base:
                slots.append((sender, nonce))
                nonce += 1
        return slots

    def _include(self, slots: list[tuple[str, int]]) -> None:
        for sender, nonce in slots:
            tx_hash, _ = self.pool.pop((sender, nonce))
            self.receipts[tx_hash] = {
                "blockNumber": hex(self.head),
                "blockHash": "0x" + "ab" * 32,
                "gasUsed": hex(50_000),
                "status": "0x1",
            }
            self.mined[sender] = nonce + 1


class Journal:
    def __init__(self):
        self.entries: list[tuple[str, dict]] = []

    def append(self, kind: str, entries: list[dict]) -> None:
        self.entries.extend((kind, e) for e in entries)


def _instructions(count: int, sender: Sender) -> list[Instruction]:
    return [
        Instruction(
            row=SimpleNamespace(line=i + 2, instruction_id=f"AUTO-{i:04d}", action="mint"),
            sender=sender,
            to=RECEIVER,
            data=b"\x01",
            gas=60_000,
            terms="0x" + "00" * 32,
        )
        for i in range(count)
    ]


def _run(node: AutomineNode, count: int):
    sender = Sender("0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC")
    said: list[str] = []
    outcome = Pipeline(node, Journal(), 1, window=64, say=said.append).run(
        _instructions(count, sender)
    )
    return outcome, said


def test_empty_blocks_an_automine_node_mines_on_arrival__not_counted_as_waiting():
    """The embedded-Anvil bench failure (`make bench`, rows EMB): each window's arrivals
    set off empty blocks before its transactions mine, at a base fee of zero. Counted as
    blocks waited, they made the sender re-sign the window at +12.5%, whose arrivals
    set off more empty blocks, nine times, until the cap stopped the run ("a max fee
    of 2.887 gwei, and a bump would pass the cap of 3.000 gwei") with 1-gwei
    transactions the node would have mined as they were."""
    node = AutomineNode(base=0)
    outcome, said = _run(node, 300)
    assert node.empty_blocks >= 300  # one empty block per arrival, as on a slow Anvil
    assert outcome.stopped is None, outcome.stopped
    assert len(outcome.executed) == 300 and not outcome.left_in_flight
    assert outcome.replaced == 0 and not said, said[:3]


def test_below_the_base_fee_on_an_automine_node__re_signed_after_three_quiet_blocks():
    """What a bump is for on such a node: the base fee rose above the window's max fee
    (a batch that fills blocks raises it), so nothing mines; the node goes quiet, the
    sender asks it for three blocks, then re-signs the window at the market."""
    node = AutomineNode(base=0)
    node.base_after_first_window = 2 * GWEI  # above the first max fee of 1 gwei
    outcome, said = _run(node, 100)
    assert outcome.stopped is None, outcome.stopped
    assert len(outcome.executed) == 100 and not outcome.left_in_flight
    assert said[0] == "nonce 0 waited 3 blocks: re-sent 64 transactions at a max fee of 3.000 gwei"
    assert node.nudges == 3 and outcome.replaced == 64


def test_a_transaction_the_automine_node_lost__re_signed_after_three_quiet_blocks():
    """The node took nonce 0 and lost it, so the later nonces wait on a gap and no block
    comes: after three blocks asked for, the window is signed again at +12.5% and the
    node takes nonce 0 back."""
    node = AutomineNode(base=0)
    node.lose_once = {0}
    outcome, said = _run(node, 100)
    assert outcome.stopped is None, outcome.stopped
    assert len(outcome.executed) == 100 and not outcome.left_in_flight
    assert said[0].startswith("nonce 0 waited 3 blocks: re-sent 64 transactions at")
    assert node.nudges == 3
