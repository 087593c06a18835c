"""The steps of a deployment, journaled as they happen so that an interrupted
deploy resumes where it stopped and never sends a step twice.

A deployment is a fixed sequence of transactions (``deploy.deploy_system``),
the same for the same configuration. Before each one is sent, the journal
records it as *pending* with its sender, the sender's nonce and the current
block; once mined, as *done* with its transaction hash, block and (for a
contract creation) the new address. The file is rewritten atomically after
each change, so a crash leaves it either before or after a step, never torn.

On resume the journal's steps are replayed in order without sending anything:
- a *done* step gives back its contract (``Project.at(address)``);
- a *pending* step is resolved from the chain: when the sender's nonce has moved
  past the recorded one, the transaction with that nonce is looked up in the
  blocks mined since; a success makes the step done, a revert sends it again.
  When the nonce has not moved the step was never sent and is sent now. A
  transaction still waiting in the node's pool stops the resume with a one-line
  error (sending again would duplicate it).
- a step whose label differs from the journal's means the configuration or the
  code changed since: the resume stops (``--replace`` starts over).
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from pathlib import Path

from ape import chain
from eth_utils import to_checksum_address

from sovereign import artifacts

# Tests only: seconds to wait between a step's receipt and journaling it as done, so a
# kill lands in that gap on purpose (tests/e2e/test_operator_scripts.py). Unset: none.
GAP_SECONDS = float(os.environ.get("SOVEREIGN_TEST_STEP_GAP", "0") or 0)


class DeployError(Exception):
    """A deployment cannot go on; the message is one line."""


# A node reached by URL can give ape a web3 without its middleware: blocks and
# receipts then arrive as plain JSON (hex strings, lower-case addresses), not
# AttributeDicts of ints and HexBytes. These read both.


def _int(value) -> int:
    return int(value, 16) if isinstance(value, str) else int(value)


def _hex(value) -> str:
    return value if isinstance(value, str) else "0x" + bytes(value).hex()


def _sent_by(tx, sender: str, nonce: int) -> bool:
    return str(tx["from"]).lower() == sender.lower() and _int(tx["nonce"]) == nonce


def _nonce(address: str, block: str) -> int:
    return chain.provider.web3.eth.get_transaction_count(address, block)


class DeployJournal:
    """A deployment's steps on disk (``path``), or in memory only (``path=None``)."""

    def __init__(
        self,
        path: Path | None,
        header: dict,
        *,
        resume: bool = False,
        show: Callable[[str], None] | None = None,
    ):
        """``show`` receives one line per step as it completes (the deploy's progress)."""
        self.path, self.header, self.steps = path, header, []
        self.show = show or (lambda _: None)
        if resume:
            if path is None or not path.is_file():
                raise DeployError(f"no interrupted deploy to resume at {path}")
            data = json.loads(path.read_text())
            for key, value in header.items():
                if data["header"].get(key) != value:
                    raise DeployError(
                        f"{path} was started with a different {key}: "
                        f"{data['header'].get(key)!r}, now {value!r}; pass --replace to start over"
                    )
            self.steps = data["steps"]
        self.cursor = 0
        self.resumed = sum(1 for s in self.steps if s["status"] == "done")
        self._save()

    def _save(self) -> None:
        if self.path is None:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps({"header": self.header, "steps": self.steps}, indent=1) + "\n")
        os.replace(tmp, self.path)

    def done_steps(self) -> list[dict]:
        return [s for s in self.steps if s["status"] == "done"]

    # ------------------------------------------------------------------ steps

    def run(self, label: str, sender, send: Callable[[], object], contract_type: str | None):
        """Run (or replay) the next step; returns the receipt or the contract, or
        ``None`` for a replayed transaction that created nothing."""
        if self.path is None:  # nothing to journal (tests, demo, bench): just send
            return send()
        done = self._replay(label)
        if done is not None:
            return artifacts.at(contract_type, done["address"]) if contract_type else None
        step = {
            "label": label,
            "status": "pending",
            "sender": sender.address,
            "nonce": sender.nonce,
            "from_block": chain.blocks.head.number,
        }
        self.steps.append(step)
        self._save()
        result = send()
        receipt = chain.get_receipt(result.txn_hash) if contract_type else result
        if GAP_SECONDS:
            time.sleep(GAP_SECONDS)  # fault injection: widen the mined-not-journaled gap
        step.update(status="done", tx=receipt.txn_hash, block=receipt.block_number)
        if contract_type:
            step["address"] = result.address
        self._save()
        where = f" at {result.address}" if contract_type else ""
        self.show(
            f"step {len(self.steps)}: {label}{where} (block {receipt.block_number}, "
            f"gas {receipt.gas_used:,})"
        )
        return result

    def _replay(self, label: str) -> dict | None:
        """Take the next step's place: its journaled step when that is done (replayed, not
        sent), else ``None`` (the journal is cut there: sent and reverted, never sent, or
        new), after which the caller sends it."""
        index, self.cursor = self.cursor, self.cursor + 1
        if index >= len(self.steps):
            return None
        step = self.steps[index]
        if step["label"] != label:
            raise DeployError(
                f"step {index} of the interrupted deploy is {step['label']!r}, but this "
                f"deploy's step {index} is {label!r}: the configuration or the code changed; "
                "pass --replace to start over"
            )
        if step["status"] == "pending":
            self._resolve(step)
        if step["status"] == "done":
            self.show(f"step {index + 1}: {label}: done before (tx {step['tx']})")
            return step
        del self.steps[index:]
        return None

    def run_independent(self, sender, calls: list[tuple[str, object, str, tuple]]) -> None:
        """Steps of one sender that depend on none of each other, ``(label, contract,
        method, args)``: replayed as ``run`` replays, then the rest signed with
        consecutive nonces, journaled as pending together, sent together in nonce order
        and awaited together, so that they share blocks. A resume resolves each by its
        nonce, as any step."""
        if self.path is None:
            for _, contract, method, args in calls:
                getattr(contract, method)(*args, sender=sender)
            return
        left = [call for call in calls if self._replay(call[0]) is None]
        if not left:
            return
        web3 = chain.provider.web3
        first = _nonce(sender.address, "pending")
        signed, start = [], len(self.steps)
        for k, (label, contract, method, args) in enumerate(left):
            handle = getattr(contract, method)
            gas = handle.estimate_gas_cost(*args, sender=sender)
            txn = handle.as_transaction(
                *args, sender=sender, nonce=first + k, gas_limit=gas + gas // 4 + 10_000
            )
            signed.append(sender.sign_transaction(txn))
            self.steps.append(
                {
                    "label": label,
                    "status": "pending",
                    "sender": sender.address,
                    "nonce": first + k,
                    "from_block": chain.blocks.head.number,
                }
            )
        self._save()
        hashes = [_hex(web3.eth.send_raw_transaction(t.serialize_transaction())) for t in signed]
        for offset, tx_hash in enumerate(hashes):
            step = self.steps[start + offset]
            receipt = web3.eth.wait_for_transaction_receipt(tx_hash, timeout=600)
            if GAP_SECONDS:
                time.sleep(GAP_SECONDS)  # fault injection, as in ``run``
            if _int(receipt["status"]) != 1:
                self._save()
                raise DeployError(
                    f"{step['label']!r} reverted (tx {tx_hash}); run deploy --resume to send "
                    "it again"
                )
            step.update(status="done", tx=tx_hash, block=_int(receipt["blockNumber"]))
            self._save()
            self.show(
                f"step {start + offset + 1}: {step['label']} (block {step['block']}, "
                f"gas {_int(receipt['gasUsed']):,})"
            )

    def _resolve(self, step: dict) -> None:
        """A step that was being sent when the deploy stopped: did it land?"""
        sender, nonce = step["sender"], step["nonce"]
        if _nonce(sender, "latest") <= nonce:
            if _nonce(sender, "pending") > nonce:
                raise DeployError(
                    f"{step['label']!r} (nonce {nonce} of {sender}) is still waiting in the "
                    "node's pool: resume again once it is mined"
                )
            step["status"] = "unsent"
            return
        web3 = chain.provider.web3
        for number in range(step["from_block"], chain.blocks.head.number + 1):
            block = web3.eth.get_block(number, full_transactions=True)
            for tx in block["transactions"]:
                if _sent_by(tx, sender, nonce):
                    tx_hash = _hex(tx["hash"])
                    receipt = web3.eth.get_transaction_receipt(tx_hash)
                    if _int(receipt["status"]) != 1:
                        step["status"] = "reverted"
                        return
                    step.update(status="done", tx=tx_hash, block=number)
                    if receipt.get("contractAddress"):
                        step["address"] = to_checksum_address(receipt["contractAddress"])
                    self._save()
                    return
        raise DeployError(
            f"{step['label']!r}: the nonce of {sender} moved past {nonce}, but no transaction "
            f"with that nonce is in blocks {step['from_block']}..{chain.blocks.head.number}; "
            "another process is using this account"
        )
