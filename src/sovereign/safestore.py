"""Safe proposals: the Safe transaction (its fields and safeTxHash), and the file beside
the manifest that carries each proposal's call from one owner's process to the next.

The file is not trusted for approvals: they are read from the Safe (``approvedHashes``).
Nor for the call: the hash is recomputed from the stored fields each time, so an edited
call is a different hash, with no approvals.
"""

from __future__ import annotations

import fcntl
import json
import os
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

from sovereign.inputs import InputError

SAFE_VERSION = "1.4.1"
ZERO_ADDRESS = "0x" + "0" * 40
CALL, DELEGATECALL = 0, 1


def now_utc() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


# ------------------------------------------------------------------ the Safe transaction


@dataclass(frozen=True)
class SafeTx:
    """The fields ``execTransaction`` takes (and the nonce), as the Safe hashes them."""

    safe: str
    to: str
    value: int
    data: str  # 0x hex
    operation: int
    nonce: int
    safeTxGas: int = 0  # noqa: N815 - the Safe's own field names, as stored
    baseGas: int = 0  # noqa: N815
    gasPrice: int = 0  # noqa: N815
    gasToken: str = ZERO_ADDRESS  # noqa: N815
    refundReceiver: str = ZERO_ADDRESS  # noqa: N815

    @property
    def hash(self) -> str:
        """The safeTxHash (EIP-712, domain: this Safe and chain), computed by ape-safe."""
        from ape import chain
        from ape_safe.utils import get_safe_tx_hash
        from eip712.common import create_safe_tx_def

        definition = create_safe_tx_def(
            version=SAFE_VERSION, contract_address=self.safe, chain_id=chain.chain_id
        )
        fields = {k: v for k, v in asdict(self).items() if k != "safe"}
        fields["data"] = bytes.fromhex(self.data[2:])
        return str(get_safe_tx_hash(definition(**fields))).lower()

    def exec_args(self) -> tuple:
        """``execTransaction``'s arguments but the signatures."""
        return (
            self.to,
            self.value,
            bytes.fromhex(self.data[2:]),
            self.operation,
            self.safeTxGas,
            self.baseGas,
            self.gasPrice,
            self.gasToken,
            self.refundReceiver,
        )


@dataclass(frozen=True)
class Proposal:
    tx: SafeTx
    description: str
    proposed_by: str
    proposed_at: str
    proposal_tx: str | None = None  # the proposer's approveHash
    cancelled: dict | None = None  # {"by", "at", "rejection"}
    executed_tx: str | None = None
    rejects: str | None = None  # a rejection: the hash of the proposal it burns the nonce of

    @property
    def hash(self) -> str:
        return self.tx.hash

    def as_dict(self) -> dict:
        return asdict(self) | {"safe_tx_hash": self.hash}

    @classmethod
    def from_dict(cls, data: dict) -> Proposal:
        data = {k: v for k, v in data.items() if k != "safe_tx_hash"}
        return cls(**(data | {"tx": SafeTx(**data["tx"])}))


# ------------------------------------------------------------------ the store


class ProposalStore:
    """Proposals on disk: ``{"safes": {safe: {safeTxHash: proposal}}}``. Every change is
    made under an exclusive lock (two owners may write at once) and lands atomically."""

    def __init__(self, path: Path):
        self.path = path

    @classmethod
    def beside_manifest(cls) -> ProposalStore:
        from sovereign.manifest import manifest_path

        path = manifest_path()
        return cls(path.with_name(f"{path.stem}.safe-proposals.json"))

    def _read(self) -> dict:
        if not self.path.is_file():
            return {"safes": {}}
        try:
            return json.loads(self.path.read_text())
        except json.JSONDecodeError as err:
            raise InputError(f"{self.path} is not valid JSON: {err}") from None

    @contextmanager
    def _locked(self):
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.path.with_name(self.path.name + ".lock"), "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            data = self._read()
            yield data
            tmp = self.path.with_name(f".{self.path.name}.{os.getpid()}")
            tmp.write_text(json.dumps(data, indent=1) + "\n")
            os.replace(tmp, self.path)

    def all(self, safe: str | None = None) -> list[Proposal]:
        out = []
        for address, entries in self._read()["safes"].items():
            if safe is None or address == safe:
                out += [Proposal.from_dict(e) for e in entries.values()]
        return sorted(out, key=lambda p: (p.tx.safe, p.tx.nonce, p.proposed_at))

    def put(self, proposal: Proposal) -> None:
        with self._locked() as data:
            data["safes"].setdefault(proposal.tx.safe, {})[proposal.hash] = proposal.as_dict()

    def find(self, text: str) -> Proposal:
        """The proposal whose safeTxHash is ``text`` (or starts with it, 0x + 8 digits)."""
        wanted = text.strip().lower()
        if not (wanted.startswith("0x") and 10 <= len(wanted) <= 66):
            raise InputError(f"{text!r} is not a Safe transaction hash (0x and 64 hex digits)")
        matches = [p for p in self.all() if p.hash.startswith(wanted)]
        if len(matches) > 1:
            raise InputError(f"{wanted} matches several proposals: give more digits")
        if not matches:
            raise InputError(
                f"no Safe proposal {wanted} in {self.path} (see ape treasury safe pending)"
            )
        return matches[0]
