"""The fee market for the batch sender: the price now, and stuck lanes re-signed.

A mixin of ``sovereign.pipeline.Pipeline`` (it uses the sender's journal, window and
in-flight map): each window is priced at the market, twice the base fee plus the
tip; a lane whose nonce has not moved for ``stuck_blocks`` blocks is re-signed at the
same nonces at the larger of +12.5% and the market now, within the cap.

Blocks measure waiting only where the chain makes them of its own accord. A node that
mines on arrival (automine) mines one whenever a transaction arrives, and under load
many come out empty while the lane's next nonce waits in its pool; a re-signed window
only sets off more of them. There the blocks that count are those the sender asks
for (``evm_mine``) once the node has gone quiet with the lane still waiting.
"""

from __future__ import annotations

from dataclasses import dataclass

from eth_utils import to_hex

from sovereign.rpc import RpcError, quantity

BUMP_NUMERATOR, BUMP_DENOMINATOR = 1125, 1000  # +12.5% per replacement
GWEI = 10**9
# The default fee cap, in first max fees (each twice the base fee plus the tip): a batch
# that fills blocks raises the base fee 12.5% a block by itself.
DEFAULT_CAP = 3


@dataclass(frozen=True)
class Fees:
    max_fee: int
    tip: int
    dynamic: bool


class FeeMarket:
    def _fees(self) -> Fees:
        block, tip = self.rpc.batch(
            [("eth_getBlockByNumber", ["latest", False]), ("eth_maxPriorityFeePerGas", [])]
        )
        base = None if isinstance(block, RpcError) or block is None else block.get("baseFeePerGas")
        if base is None:
            price = quantity(self.rpc.call("eth_gasPrice"))
            return Fees(min(price, self.max_fee or price), 0, dynamic=False)
        tip = GWEI if isinstance(tip, RpcError) or tip is None else quantity(tip)
        fee = 2 * quantity(base) + tip
        if self.max_fee is not None:
            fee = min(fee, self.max_fee)
        return Fees(fee, min(tip, fee), dynamic=True)

    def _unstick(self, head: int) -> None:
        """Re-sign a lane that waited ``stuck_blocks`` blocks, at the same nonces, fees up."""
        lanes: dict[str, dict[int, object]] = {}  # lane -> nonce -> its newest Sent
        for sent in self._waiting():
            newest = lanes.setdefault(sent.lane, {}).get(sent.nonce)
            if newest is None or sent.max_fee > newest.max_fee:
                lanes[sent.lane][sent.nonce] = sent
        for lane, by_nonce in lanes.items():
            lowest = by_nonce[min(by_nonce)]
            # Stuck: blocks go by and the lane's nonce does not move.
            if self.automine:  # it mines on arrival, often empty: only nudges count
                waited = self.nudges - max(lowest.since_nudge, self.nudged.get(lane, 0))
            else:
                waited = head - max(lowest.since_block, self.moved.get(lane, 0))
            if waited < self.stuck_blocks:
                continue
            price = self._fees()  # the market now: a full batch raises the base fee itself
            if _bump(lowest.max_fee) > self.max_fee:
                self.given_up.add(lane)
                self.outcome.stop(
                    f"nonce {lowest.nonce} has waited {waited} blocks at a max fee of "
                    f"{lowest.max_fee / GWEI:.3f} gwei, and a bump would pass the cap of "
                    f"{self.max_fee / GWEI:.3f} gwei: run again with a higher --max-fee-gwei, "
                    "or once fees fall"
                )
                continue
            stuck = [by_nonce[n] for n in sorted(by_nonce)]
            fresh = []
            for s in stuck:
                fee = min(self.max_fee, max(_bump(s.max_fee), price.max_fee))
                tip = min(fee, max(_bump(s.tip), price.tip))
                fresh.append(self._signed(s.instruction, s.nonce, fee, tip, s.dynamic, head))
            self.journal.append("intent", [intent_entry(s) for s in fresh])
            answers = self.rpc.batch([("eth_sendRawTransaction", [to_hex(s.raw)]) for s in fresh])
            for old, new, answer in zip(stuck, fresh, answers, strict=True):
                old.since_block, old.since_nudge = head, self.nudges
                if not isinstance(answer, RpcError):
                    self.inflight[new.tx] = new
                    self.outcome.replaced += 1
            self.say(
                f"nonce {lowest.nonce} waited {waited} blocks: re-sent {len(fresh)} "
                f"transactions at a max fee of {fresh[0].max_fee / GWEI:.3f} gwei"
            )


def intent_entry(sent) -> dict:
    """The journal's intent for a signed transaction (a ``Sent``), before it is sent."""
    i = sent.instruction
    return {
        "instruction_id": i.ident,
        "action": i.row.action,
        "terms": i.terms,
        "sender": i.sender.address,
        "nonce": sent.nonce,
        "tx": sent.tx,
        "gas_limit": i.gas,
        "max_fee": sent.max_fee,
        "tip": sent.tip,
        "dynamic": sent.dynamic,
        "since_block": sent.since_block,
    }


def _bump(value: int) -> int:
    return -(-value * BUMP_NUMERATOR // BUMP_DENOMINATOR)
