"""What local development nodes do differently, for the batch sender.

Anvil's and Hardhat's automine mine a block per transaction, on arrival, and serve a
JSON-RPC batch's requests concurrently. Anvil then leaves a transaction made ready by
a later arrival unmined until something else arrives; Hardhat refuses a nonce above
the sender's next. Anvil also mines whenever an arrival wakes it, and many of those
blocks come out empty: with ``--steps-tracing``, as ape-foundry runs it, Anvil 1.7.1
mined up to 29 empty blocks in a row while a batch's next nonce sat in its pool at a
fee it takes. So on such a node only the blocks asked for with ``evm_mine`` after a
stall measure how long a transaction has waited (sovereign.feemarket). Nodes also
word "I have this transaction already" their own way, and Hardhat's automine answers
the send of a reverting transaction with the revert.
"""

from __future__ import annotations

from sovereign.rpc import Rpc, RpcError

AUTOMINE_STALL = 0.25  # seconds without progress before a local automine node is asked to mine

# How nodes say "I have this exact transaction already" (geth and Anvil; Hardhat).
KNOWN = ("already known", "known transaction", "already imported")


NOT_SENT = object()  # an answer slot for a request never sent


def reverted(error: RpcError) -> bool:
    text = str(error).lower()
    return "revert" in text or "vm exception" in text


def known(error: RpcError) -> bool:
    return any(k in str(error).lower() for k in KNOWN)


def mines_on_arrival(rpc: Rpc) -> str | None:
    """``"anvil"`` or ``"hardhat"`` for a local node mining a block per transaction
    (automine); ``None`` for any other answer, or none: a node that mines blocks."""
    for node in ("anvil", "hardhat"):
        try:
            if rpc.call(f"{node}_getAutomine") is True:
                return node
        except Exception:  # noqa: BLE001 - not that node, or not a local one
            continue
    return None


def send_in_order(rpc: Rpc, requests: list) -> list:
    """One request each, in nonce order, stopping at the first refusal (the rest would
    fail the same way, or wait on that nonce); ``NOT_SENT`` for those never sent."""
    out: list = []
    for request in requests:
        out.extend(rpc.batch([request]))
        if isinstance(out[-1], RpcError):
            break
    return out + [NOT_SENT] * (len(requests) - len(out))
