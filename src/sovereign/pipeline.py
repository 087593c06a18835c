"""The batch sender: a window of signed transactions in flight, consecutive nonces, blocks filled.

Each sender (the minter for mints, the burner for burns) is a *lane* of
consecutive nonces. Up to ``window`` transactions are in flight at once: each
window is signed locally, journaled as intents (on disk) and sent in one JSON-RPC
batch; receipts are fetched in one batch whenever a new block appears. The node
packs as many as a block holds, so a batch takes as many blocks as its gas needs,
not one block per instruction.

What stops a run, and what is left:
- a transaction that mined and reverted (the reserve was paused, say): nothing more
  is sent, the rest in flight are awaited, and the revert is named in words;
- a send the node refuses: nothing more is sent; later nonces of that lane stay in
  the node's pool, and the next run fills the gap first (``alive``);
- a transaction stuck below the fee market: each window is priced at the market
  (twice the base fee plus the tip), but a batch that fills blocks raises the base
  fee 12.5% a block by itself. After ``stuck_blocks`` blocks without the lane's nonce
  moving, its transactions are re-signed at the same nonces, at the larger of +12.5%
  (the 10% a pool needs to replace, with room) and the market now, never above
  ``max_fee`` (default: three times the first fee); at the cap the run stops and
  says so. A node that mines on arrival (automine) mines a block whenever a
  transaction arrives, and under load many come out empty while the lane's next
  nonce waits in its pool: there only the blocks asked for once it has gone quiet
  (``evm_mine``, sovereign.nodequirks) count as blocks waited.

Exactly once does not rest on this module alone: the reserve refuses a used id, so a
transaction that races its own replacement, or a row sent again after a crash,
reverts instead of paying twice, and the next run's reconciliation records it.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import partial

from ape_ethereum.transactions import DynamicFeeTransaction, StaticFeeTransaction
from eth_utils import keccak, to_hex

from sovereign.feemarket import DEFAULT_CAP, GWEI, FeeMarket, Fees, intent_entry
from sovereign.nodequirks import (
    AUTOMINE_STALL,
    NOT_SENT,
    known,
    mines_on_arrival,
    reverted,
    send_in_order,
)
from sovereign.rpc import Rpc, RpcError, quantity

__all__ = ["GWEI", "Instruction", "Outcome", "Pipeline", "Sent"]

SEND_CHUNK = 64  # transactions per JSON-RPC batch of sends
MISSING_SECONDS = 10.0


@dataclass(frozen=True)
class Instruction:
    """One row ready to send: who signs, the call data, its gas limit and journal facts."""

    row: object  # sovereign.batch.BatchRow
    sender: object  # an ape account
    to: str
    data: bytes
    gas: int
    terms: str

    @property
    def ident(self) -> str:
        return self.row.instruction_id


@dataclass
class Sent:
    instruction: Instruction
    nonce: int
    tx: str
    max_fee: int
    tip: int
    dynamic: bool
    since_block: int
    raw: bytes = b""
    since_nudge: int = 0  # the run's evm_mine count when signed (automine's clock)

    @property
    def lane(self) -> str:
        return self.instruction.sender.address


@dataclass
class Outcome:
    executed: list[tuple[Instruction, dict]] = field(default_factory=list)
    failed: list[tuple[Instruction, str]] = field(default_factory=list)
    stopped: str | None = None  # why the run stopped early, in words
    left_in_flight: list[Sent] = field(default_factory=list)
    replaced: int = 0

    @property
    def gas(self) -> int:
        return sum(r["gas"] for _, r in self.executed)

    def stop(self, reason: str) -> None:
        self.stopped = self.stopped or reason


class Pipeline(FeeMarket):
    def __init__(
        self,
        rpc: Rpc,
        journal,
        chain_id: int,
        *,
        window: int = 256,
        max_fee: int | None = None,
        stuck_blocks: int = 3,
        poll: float = 0.01,
        patience: float = 120.0,
        explain: Callable[[Instruction], str] | None = None,
        executed: Callable[[Instruction], bool] = lambda _: False,
        say: Callable[[str], None] = lambda _: None,
        advance: Callable[[int], None] = lambda _: None,
    ):
        self.rpc, self.journal, self.chain_id = rpc, journal, chain_id
        self.window, self.max_fee = window, max_fee
        self.stuck_blocks, self.poll, self.patience = stuck_blocks, poll, patience
        self.explain = explain or (lambda _: "reverted")
        self.executed = executed  # whether the reserve has executed the instruction's id
        self.say, self.advance = say, advance

    def run(self, instructions: list[Instruction], alive: list[Sent] = ()) -> Outcome:
        """Send ``instructions``; ``alive`` are a previous run's transactions still in
        the node's pool: their nonces are kept and the gaps below them filled first."""
        self.outcome = outcome = Outcome()
        self.inflight = {s.tx: s for s in alive}
        self.gaps: dict[str, int] = {}  # lane -> the nonce the node refused
        self.given_up: set[str] = set()  # lanes stuck at the fee cap
        self.moved: dict[str, int] = {}  # lane -> the last block it sent or mined in
        self.missing: dict[str, float] = {}  # tx -> since when its mined nonce had no receipt
        self.nudges = 0  # evm_mine calls: under automine, the blocks that measure waiting
        self.nudged: dict[str, int] = {}  # lane -> the nudge count when it last mined
        queue = deque(instructions)
        senders = {i.sender.address: i.sender for i in instructions}
        senders |= {s.lane: s.instruction.sender for s in alive}
        if not senders:
            return outcome
        nonces = self._nonce_plans(list(senders), alive)
        if self.max_fee is None:
            self.max_fee = DEFAULT_CAP * self._fees().max_fee
        self.automine = mines_on_arrival(self.rpc)
        head, progress = self._block_number(), time.monotonic()
        while True:
            if queue and outcome.stopped is None and len(self.inflight) < self.window:
                self._fill(queue, nonces, self._fees(), head)
            waiting = self._waiting()
            if not waiting and (not queue or outcome.stopped is not None):
                break
            new_head, mined = self._poll()
            if new_head == head and not any(
                s.nonce < mined.get(s.lane, 0) for s in self.inflight.values()
            ):
                if self.automine and waiting and time.monotonic() - progress > AUTOMINE_STALL:
                    self.rpc.call("evm_mine")
                    self.nudges += 1
                    progress = time.monotonic()
                    continue
                if time.monotonic() - progress > self.patience:
                    self.given_up |= {s.lane for s in waiting}
                    outcome.stop(
                        f"the node produced no block for {self.patience:.0f} s with "
                        f"{len(waiting)} transactions in flight"
                    )
                    continue
                time.sleep(self.poll)
                continue
            moved = new_head != head
            head, progress = new_head, time.monotonic()
            if not self._collect(mined) and not moved:
                time.sleep(self.poll)  # mined nonces whose receipts the node lacks yet
            self._unstick(head)
        outcome.left_in_flight = sorted(self.inflight.values(), key=lambda s: (s.lane, s.nonce))
        return outcome

    # ------------------------------------------------------------------ nonces and fees

    def _nonce_plans(self, addresses: list[str], alive) -> dict[str, _Nonces]:
        counts = self.rpc.batch(
            [("eth_getTransactionCount", [a, "pending"]) for a in addresses]
            + [("eth_getTransactionCount", [a, "latest"]) for a in addresses]
        )
        if any(isinstance(c, RpcError) for c in counts):
            raise RuntimeError("the node did not answer the senders' nonces")
        plans = {}
        for index, address in enumerate(addresses):
            pending, latest = quantity(counts[index]), quantity(counts[index + len(addresses)])
            taken = {s.nonce for s in alive if s.lane == address}
            # With our own transactions still pooled, fill from the first unmined nonce.
            plans[address] = _Nonces(latest if taken else pending, taken)
        return plans

    def _signed(self, instruction, nonce, max_fee, tip, dynamic, head) -> Sent:
        common = dict(
            chainId=self.chain_id,
            nonce=nonce,
            gas=instruction.gas,
            receiver=instruction.to,
            data=instruction.data,
            value=0,
        )
        if dynamic:
            txn = DynamicFeeTransaction(maxFeePerGas=max_fee, maxPriorityFeePerGas=tip, **common)
        else:
            txn = StaticFeeTransaction(gasPrice=max_fee, **common)
        signed = instruction.sender.sign_transaction(txn)
        if signed is None:
            raise RuntimeError(f"{instruction.sender.address} declined to sign")
        raw = signed.serialize_transaction()
        tx = to_hex(keccak(raw))
        return Sent(instruction, nonce, tx, max_fee, tip, dynamic, head, raw, self.nudges)

    # ------------------------------------------------------------------ sending

    def _fill(self, queue: deque, nonces: dict, fees: Fees, head: int) -> None:
        """Top the window up, in chunks: each chunk is signed, journaled as intents (on
        disk), then sent in one round trip by a worker thread, in order, while the next
        chunk is signed (the node works while this process signs)."""
        room = self.window - len(self.inflight)
        sending = []
        with ThreadPoolExecutor(max_workers=1) as worker:
            while queue and room > 0:
                chunk = []
                while queue and room > 0 and len(chunk) < SEND_CHUNK:
                    instruction = queue.popleft()
                    nonce = nonces[instruction.sender.address].next()
                    chunk.append(
                        self._signed(instruction, nonce, fees.max_fee, fees.tip, fees.dynamic, head)
                    )
                    room -= 1
                self.journal.append("intent", [intent_entry(s) for s in chunk])
                requests = [("eth_sendRawTransaction", [to_hex(s.raw)]) for s in chunk]
                send = (
                    partial(send_in_order, self.rpc)
                    if self.automine == "hardhat"
                    else self.rpc.batch
                )
                sending.append((chunk, worker.submit(send, requests)))
        for chunk, answers in sending:
            self._accepted(chunk, answers.result())

    def _accepted(self, batch: list[Sent], answers: list) -> None:
        unsent = [s for s, a in zip(batch, answers, strict=True) if a is NOT_SENT]
        # Journaled as intents, never sent: withdrawn, so the journal says what happened.
        self.journal.append(
            "withdrawn", [{"instruction_id": s.instruction.ident, "nonce": s.nonce} for s in unsent]
        )
        for sent, answer in zip(batch, answers, strict=True):
            if answer is NOT_SENT:
                continue
            if isinstance(answer, RpcError) and reverted(answer):
                # Hardhat's automine mines a reverting transaction (its nonce is used)
                # and answers the send with the revert.
                reason = self.explain(sent.instruction)
                facts = {"instruction_id": sent.instruction.ident, "nonce": sent.nonce}
                self.journal.append("failed", [facts | {"tx": sent.tx, "reason": reason}])
                self.outcome.failed.append((sent.instruction, reason))
                self.outcome.stop(
                    f"row {sent.instruction.row.line} ({sent.instruction.ident}) "
                    f"reverted: {reason}"
                )
                continue
            refused = isinstance(answer, RpcError) and not known(answer)
            if refused and sent.lane not in self.gaps:
                self.gaps[sent.lane] = sent.nonce
                self.outcome.stop(
                    f"the node refused row {sent.instruction.row.line} "
                    f"({sent.instruction.ident}): {str(answer)[:160]}"
                )
            if not refused:
                # A later nonce behind a refused one waits in the pool for the gap to be
                # filled: it stays in flight, and the next run fills the gap first.
                self.inflight[sent.tx] = sent

    # ------------------------------------------------------------------ receipts

    def _poll(self) -> tuple[int, dict[str, int]]:
        """The head, and each lane's mined nonce count: one round trip."""
        lanes = sorted({s.lane for s in self.inflight.values()})
        answers = self.rpc.batch(
            [("eth_blockNumber", [])] + [("eth_getTransactionCount", [a, "latest"]) for a in lanes]
        )
        if any(isinstance(a, RpcError) for a in answers):
            raise RuntimeError(
                f"the node did not answer: {next(a for a in answers if isinstance(a, RpcError))}"
            )
        return quantity(answers[0]), {
            a: quantity(c) for a, c in zip(lanes, answers[1:], strict=True)
        }

    def _collect(self, mined_counts: dict[str, int]) -> int:
        """The receipts of the transactions whose nonce has mined (every variant of a
        replaced nonce: one of them is on-chain, or another transaction took the nonce)."""
        hashes = sorted(
            (h for h, s in self.inflight.items() if s.nonce < mined_counts.get(s.lane, 0)),
            key=lambda h: self.inflight[h].nonce,
        )
        if not hashes:
            return 0
        receipts = self.rpc.batch([("eth_getTransactionReceipt", [h]) for h in hashes])
        mined, failed = [], []
        for tx, receipt in zip(hashes, receipts, strict=True):
            if receipt is None or isinstance(receipt, RpcError) or tx not in self.inflight:
                continue
            sent = self.inflight.pop(tx)
            self.moved[sent.lane] = quantity(receipt["blockNumber"])
            self.nudged[sent.lane] = self.nudges
            for other in [h for h, s in self.inflight.items() if _same_slot(s, sent)]:
                self.inflight.pop(other)  # its replacements can never mine now
            facts = {
                "instruction_id": sent.instruction.ident,
                "nonce": sent.nonce,
                "tx": tx,
                "block": quantity(receipt["blockNumber"]),
                "block_hash": receipt["blockHash"],
                "gas": quantity(receipt["gasUsed"]),
            }
            if quantity(receipt.get("status", "0x1")) == 1:
                mined.append(facts)
                self.outcome.executed.append((sent.instruction, facts))
                continue
            reason = self.explain(sent.instruction)
            failed.append(facts | {"reason": reason})
            self.outcome.failed.append((sent.instruction, reason))
            self.outcome.stop(
                f"row {sent.instruction.row.line} ({sent.instruction.ident}) reverted: {reason}"
            )
        for tx in [h for h in hashes if h in self.inflight]:
            # Its nonce mined, and neither it nor a replacement has a receipt (a node
            # indexes receipts after it counts the nonce; one behind a load balancer
            # lags more). After MISSING_SECONDS the chain decides: the id executed (an
            # older variant of a bumped nonce, a receipt not served yet: the next run
            # records it), or another transaction of the sender took the nonce.
            first = self.missing.setdefault(tx, time.monotonic())
            if time.monotonic() - first < MISSING_SECONDS:
                continue
            sent = self.inflight.pop(tx)
            if any(_same_slot(s, sent) for s in self.inflight.values()):
                continue
            row = f"row {sent.instruction.row.line} ({sent.instruction.ident})"
            if self.executed(sent.instruction):
                self.outcome.stop(
                    f"{row} executed on-chain at nonce {sent.nonce}, but the node serves no "
                    "receipt for its transaction yet"
                )
            else:
                self.outcome.stop(
                    f"nonce {sent.nonce} of {sent.lane} was used by another transaction, so "
                    f"{row} did not run"
                )
        self.journal.append("receipt", mined)
        self.journal.append("failed", failed)
        self.advance(len(mined))
        return len(mined) + len(failed)

    def _waiting(self) -> list[Sent]:
        """In flight and able to mine: not behind a refused nonce, not given up."""
        return [
            s
            for s in self.inflight.values()
            if s.lane not in self.given_up and s.nonce < self.gaps.get(s.lane, 1 << 256)
        ]

    def _block_number(self) -> int:
        return quantity(self.rpc.call("eth_blockNumber"))


class _Nonces:
    """A lane's nonces: the gaps below transactions still in the pool first, then onwards."""

    def __init__(self, start: int, taken: set[int]):
        self.cursor, self.taken = start, set(taken)

    def next(self) -> int:
        while self.cursor in self.taken:
            self.cursor += 1
        self.cursor += 1
        return self.cursor - 1


def _same_slot(a: Sent, b: Sent) -> bool:
    return a.nonce == b.nonce and a.lane == b.lane
