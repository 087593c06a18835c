"""The batch journal: one JSON line per step of each instruction, locked, repaired.

Lines, appended in this order for each instruction:
- ``intent``: written (and flushed to disk) *before* the transaction is sent:
  instruction id, action, terms hash, sender, nonce, transaction hash and fees;
  a fee bump writes a new intent for the same nonce;
- ``receipt``: the transaction mined and the instruction executed (block, block
  hash, gas), or ``failed``: it mined and reverted (the reason in words), or
  ``withdrawn``: the run stopped before sending it.

An id's entry is the merge of its lines, the last one winning. Every run takes an
exclusive lock (a second run of the same journal is refused in one line), then
rewrites the file as one line per id: lines torn by a crash are dropped and
repeated ids merged, so the file never drifts into duplicates. Lines of the older
format (``result: executed`` and no ``kind``) read as receipts.
"""

from __future__ import annotations

import fcntl
import json
import os
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

RESULTS = {"intent": "sent", "receipt": "executed", "failed": "failed", "withdrawn": "unsent"}


class JournalLocked(Exception):
    """Another run holds the journal; the message is one line saying which."""


class JournalUnwritable(Exception):
    """The journal cannot be written (a full disk, no permission); nothing was sent."""


class JournalDiffers(Exception):
    """``journal verify`` found differences from the chain (listed before it is raised)."""


@dataclass
class Loaded:
    entries: dict[str, dict]
    torn: int = 0
    merged: int = 0
    lines: int = 0
    notes: list[str] = field(default_factory=list)

    @property
    def compact(self) -> bool:
        """Whether the file already holds exactly one whole line per id."""
        return not self.torn and self.lines == len(self.entries)


class Journal:
    def __init__(self, path: Path):
        self.path = Path(path)
        self.lock_path = self.path.with_name(self.path.name + ".lock")
        self._out = None

    @contextmanager
    def locked(self):
        """Hold the journal for this run; the lock dies with the process (kill -9 too)."""
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            handle = self.lock_path.open("a+")
        except OSError as err:
            raise self._unwritable(err) from None
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "another process"
            handle.close()
            raise JournalLocked(
                f"another run is using the journal {self.path} ({holder}); "
                "wait for it to finish, then run again"
            ) from None
        try:
            handle.seek(0)
            handle.truncate()
            handle.write(f"pid {os.getpid()}")
            handle.flush()
        except OSError as err:
            handle.close()
            raise self._unwritable(err) from None
        try:
            yield self
        finally:
            self.close()
            fcntl.flock(handle, fcntl.LOCK_UN)
            handle.close()

    def _unwritable(self, err: OSError) -> JournalUnwritable:
        return JournalUnwritable(
            f"cannot write the journal's lock {self.lock_path}: {err.strerror}; nothing was sent"
        )

    def load(self) -> Loaded:
        """Every id's merged entry; counts torn lines and repeated ids."""
        loaded = Loaded({})
        if not self.path.exists():
            return loaded
        for line in self.path.read_text().splitlines():
            if not line.strip():
                continue
            try:
                record = json.loads(line)
                ident = record["instruction_id"]
            except (json.JSONDecodeError, KeyError, TypeError):
                loaded.torn += 1  # cut short by a crash, or not ours
                continue
            kind = record.pop("kind", None)  # a rewritten line carries its result instead
            if kind in RESULTS:
                record["result"] = RESULTS[kind]
            elif record.get("result") not in RESULTS.values():
                record["result"] = "sent"  # unknown: assume in flight, the chain decides
            # An id's intents then receipt are its history. Once it is executed, any
            # further line for it is a repeat (a journal copied onto itself, an old
            # run's lines): merged, and an intent never undoes the receipt.
            loaded.lines += 1
            if loaded.entries.get(ident, {}).get("result") == "executed":
                loaded.merged += 1
                if record["result"] != "executed":
                    continue
            loaded.entries.setdefault(ident, {}).update(record)
        return loaded

    def rewrite(self, entries: dict[str, dict]) -> None:
        """Replace the file with one line per id, atomically (a crash keeps the old one)."""
        self.close()
        temp = self.path.with_name(self.path.name + ".tmp")
        try:
            with temp.open("w") as out:
                for entry in entries.values():
                    out.write(json.dumps(entry) + "\n")
                out.flush()
                os.fsync(out.fileno())
            os.replace(temp, self.path)
            _sync_dir(self.path.parent)
        except OSError as err:
            raise JournalUnwritable(
                f"cannot rewrite the journal {self.path}: {err.strerror}; nothing was sent "
                "(the journal is as it was)"
            ) from None

    def append(self, kind: str, records: list[dict]) -> None:
        """Append lines and put them on disk before returning (an intent precedes its send)."""
        if not records:
            return
        if self._out is None:
            self._out = self.path.open("a")
        self._out.write("".join(json.dumps({"kind": kind, **r}) + "\n" for r in records))
        self._out.flush()
        os.fsync(self._out.fileno())

    def close(self) -> None:
        if self._out is not None:
            out, self._out = self._out, None
            try:
                out.close()
            except OSError:
                pass  # a full disk: the append that failed has already said so


def executed_ids(path: Path) -> set[str]:
    """Ids the journal records as executed (read without the lock, for reporting)."""
    return {i for i, e in Journal(path).load().entries.items() if e.get("result") == "executed"}


def _sync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
