"""Commodity reserves for the operator: lot lists (CSV), statement files (JSON), and
the on-chain state of a commodity token read whole.

A lot list is the custodian's bar list or warehouse-receipt list, one lot a row::

    serial,custodian,location,grade,quantity
    LGD-0001,VAULT-CO,LONDON,999.9,400.125

``quantity`` in whole units of the token (troy ounces), with at most the token's
decimals; text fields ASCII of at most 31 bytes (stored as bytes32); serials unique.
A statement file holds one statement (``sovereign.attest.Statement``), the lot list's
sha256, and the attesters' signatures, collected one ``attest sign`` at a time.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import json
import re
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from eth_utils import keccak, to_checksum_address

from sovereign.attest import Lot, Statement, lot_tree
from sovereign.inputs import InputError, parse_amount
from sovereign.units import format_amount, text_to_bytes32

HEADER = ("serial", "custodian", "location", "grade", "quantity")
TEXT_BYTES = 31
MAX_VALIDITY = 35 * 86_400  # ReserveAttestations.MAX_VALIDITY
STATEMENT_KIND = "sovereign reserve attestation"
LOT_STATES = ("never minted", "minted", "requested", "delivered")  # CommodityToken.LotState
REQUEST_STATES = ("none", "open", "accepted", "delivered", "cancelled")


# ------------------------------------------------------------------ the lot list


@dataclass(frozen=True)
class LotList:
    path: Path
    lots: tuple[Lot, ...]
    sha256: str

    @cached_property
    def tree(self):
        return lot_tree(list(self.lots))

    @property
    def root(self) -> bytes:
        return self.tree.root

    @property
    def total(self) -> int:
        return sum(lot.quantity for lot in self.lots)

    def index(self, serial: str) -> int | None:
        for i, lot in enumerate(self.lots):
            if lot.serial == serial:
                return i
        return None


def check_text(text: str, what: str) -> str:
    """``text`` stripped, if it fits a bytes32 field (ASCII, 1 to 31 bytes)."""
    raw = text.strip()
    if not raw:
        raise InputError(f"{what} is empty")
    if not raw.isascii() or not raw.isprintable():
        raise InputError(f"{what} {raw!r} is not printable ASCII")
    if len(raw) > TEXT_BYTES:
        raise InputError(f"{what} {raw!r} is {len(raw)} bytes; at most {TEXT_BYTES}")
    return raw


def read_lots(path: Path, decimals: int, symbol: str) -> LotList:
    """The lot list at ``path``; every bad row refused in one line naming it."""
    try:
        raw = path.read_bytes()
    except OSError as err:
        raise InputError(f"{path}: cannot be read ({err.strerror})") from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InputError(f"{path}: not UTF-8 text") from None
    # newline="" so that a quoted field spanning lines stays one field (and is then refused
    # as not printable) rather than being split or silently joined; rows are numbered
    # by the line each one starts on.
    reader = csv.reader(io.StringIO(text, newline=""))
    rows, start = [], 1
    try:
        for row in reader:
            rows.append((start, row))
            start = reader.line_num + 1
    except csv.Error as err:
        raise InputError(f"{path}: line {reader.line_num}: not CSV ({err})") from None
    if not rows or tuple(c.strip().lower() for c in rows[0][1]) != HEADER:
        raise InputError(f"{path}: row 1: the header must be {','.join(HEADER)}")
    lots, seen = [], {}
    for number, row in rows[1:]:
        if not any(c.strip() for c in row):
            continue  # a blank line
        where = f"{path}: row {number}"
        if len(row) != len(HEADER):
            raise InputError(f"{where}: {len(row)} fields; a lot has {len(HEADER)}")
        try:
            serial, custodian, location, grade = (
                check_text(value, name) for value, name in zip(row[:4], HEADER, strict=False)
            )
            quantity = parse_amount(row[4], decimals, symbol)
        except InputError as err:
            raise InputError(f"{where}: {err}") from None
        if serial != serial.upper() or any(c.isspace() for c in serial):
            raise InputError(
                f"{where}: serial {serial!r} must be upper-case without spaces (a serial is a "
                "lot's identity on-chain: LGD-0001 and lgd-0001 would be two lots)"
            )
        canonical = _canonical(serial)
        if canonical in seen:
            row, first = seen[canonical]
            if first == serial:
                raise InputError(f"{where}: serial {serial} is listed already, in row {row}")
            raise InputError(
                f"{where}: serial {serial} is the lot of row {row} ({first}) written another "
                "way (the same letters and numbers): list each lot once"
            )
        seen[canonical] = (number, serial)
        lots.append(Lot(serial, custodian, location, grade, quantity))
    if not lots:
        raise InputError(f"{path}: no lots (a header alone)")
    return LotList(path, tuple(lots), hashlib.sha256(raw).hexdigest())


def _canonical(serial: str) -> str:
    """The letters and numbers of a serial, zero padding dropped: LGD-0001 and LGD-1 are
    one lot written two ways, which a list must not hold twice."""
    return re.sub(r"[0-9]+", lambda m: str(int(m.group())), serial)


def lot_key(serial: str) -> bytes:
    """``CommodityToken.lotKey``: keccak256(abi.encode(bytes32 serial))."""
    return keccak(text_to_bytes32(serial))


def show_units(units: int, decimals: int, symbol: str) -> str:
    return f"{format_amount(int(units), decimals)} {symbol}"


# ------------------------------------------------------------------ times


_DURATION = re.compile(r"([0-9]+)([smhd]?)")
_SECONDS = {"": 1, "s": 1, "m": 60, "h": 3_600, "d": 86_400}


def parse_duration(text: str, what: str) -> int:
    """``30d``, ``12h``, ``90m``, ``3600s`` or plain seconds -> seconds (not zero)."""
    found = _DURATION.fullmatch(text.strip().lower())
    if not found or int(found.group(1)) == 0:
        raise InputError(f"{what} {text!r} is not a duration like 30d, 12h or 3600s")
    return int(found.group(1)) * _SECONDS[found.group(2)]


def parse_time(text: str, now: int, what: str) -> int:
    """``now`` or an ISO-8601 time (UTC unless it names its offset) -> a timestamp."""
    raw = text.strip()
    if raw.lower() == "now":
        return now
    try:
        when = dt.datetime.fromisoformat(raw)
    except ValueError:
        raise InputError(
            f"{what} {text!r} is neither now nor an ISO-8601 time like 2041-05-08T12:00:00Z"
        ) from None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    return int(when.timestamp())


def utc(timestamp: int) -> str:
    try:
        return f"{dt.datetime.fromtimestamp(int(timestamp), dt.UTC):%Y-%m-%d %H:%M:%S} UTC"
    except (OverflowError, ValueError, OSError):  # past the year 9999: say the number
        return f"timestamp {int(timestamp)}"


# ------------------------------------------------------------------ the statement file


def statement_fields(s: Statement) -> dict:
    return {
        "asset": s.asset,
        "nonce": s.nonce,
        "as_of": s.as_of,
        "expires_at": s.expires_at,
        "lots_root": "0x" + bytes(s.lots_root).hex(),
        "total_quantity": str(s.total_quantity),
        "lot_count": s.lot_count,
    }


def statement_document(
    s: Statement, *, chain_id: int, registry: str, symbol: str, lots: LotList
) -> dict:
    return {
        "kind": STATEMENT_KIND,
        "chain_id": chain_id,
        "registry": registry,
        "symbol": symbol,
        "statement": statement_fields(s),
        "as_of_utc": utc(s.as_of),
        "expires_at_utc": utc(s.expires_at),
        "lots_file": {"name": lots.path.name, "sha256": lots.sha256},
        "signatures": {},
    }


def load_statement_file(path: Path) -> tuple[dict, Statement]:
    """The statement file's document and its statement; refused in one line if malformed."""
    try:
        doc = json.loads(path.read_text())
    except OSError as err:
        raise InputError(f"{path}: cannot be read ({err.strerror})") from None
    except ValueError as err:
        raise InputError(f"{path}: not JSON ({err})") from None
    if not isinstance(doc, dict) or doc.get("kind") != STATEMENT_KIND:
        raise InputError(f"{path}: not a statement file (its kind is not {STATEMENT_KIND!r})")
    try:
        f = doc["statement"]
        root = bytes.fromhex(_text(f["lots_root"], "lots_root").removeprefix("0x"))
        if len(root) != 32:
            raise ValueError(f"lots_root is {len(root)} bytes, not 32")
        s = Statement(
            to_checksum_address(_text(f["asset"], "asset")), _uint(f["nonce"], 64, "nonce"),
            _uint(f["as_of"], 64, "as_of"), _uint(f["expires_at"], 64, "expires_at"), root,
            _uint(f["total_quantity"], 256, "total_quantity"),
            _uint(f["lot_count"], 32, "lot_count"),
        )  # fmt: skip
        signatures = {
            to_checksum_address(_text(a, "a signer")): bytes.fromhex(
                _text(sig, "a signature").removeprefix("0x")
            )
            for a, sig in doc["signatures"].items()
        }
        _uint(doc["chain_id"], 256, "chain_id")
        to_checksum_address(_text(doc["registry"], "registry"))
    except (KeyError, TypeError, ValueError, AttributeError) as err:
        raise InputError(f"{path}: the statement file is malformed ({err})") from None
    doc["signatures"] = signatures
    return doc, s


def _text(value, what: str) -> str:
    if not isinstance(value, str):
        raise ValueError(f"{what} is not a string")
    return value


def _uint(value, bits: int, what: str) -> int:
    """A statement field as the contract's uintN: an integer (or its decimal string) in range."""
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"{what} {value!r} is not a whole number")
    if not 0 <= value < 2**bits:
        raise ValueError(f"{what} {value} is outside uint{bits}")
    return value


def save_statement_file(path: Path, doc: dict) -> None:
    out = dict(doc)
    out["signatures"] = {
        a: "0x" + (sig.hex() if isinstance(sig, bytes) else sig.removeprefix("0x"))
        for a, sig in sorted(doc["signatures"].items(), key=lambda kv: int(kv[0], 16))
    }
    path.write_text(json.dumps(out, indent=2) + "\n")


def differences(doc: dict, fresh: dict) -> list[str]:
    """What differs between a file's statement and the one being signed."""
    out = [k for k in ("chain_id", "registry") if doc[k] != fresh[k]]
    a, b = doc["statement"], fresh["statement"]
    return out + [k for k in b if str(a.get(k)) != str(b[k])]


# ------------------------------------------------------------------ the chain


def commodity_book(system):
    from sovereign.operations import OperationRefused

    if system.commodity is None:
        raise OperationRefused("this deployment has no commodity tokens")
    return system.commodity


def find_commodity(system, symbol: str):
    book = commodity_book(system)
    if symbol not in book.commodities:
        known = ", ".join(sorted(book.commodities)) or "none"
        raise InputError(f"no commodity token {symbol!r}; known: {known}")
    return book.commodities[symbol]


def attestation_state(book, token, now: int) -> dict:
    """The live statement of ``token`` (or why there is none), its backing and attesters."""
    registry = book.attestations
    live, root, total, as_of, expires_at, nonce = registry.current(token.address)
    suspended = int(registry.suspendedNonce(token.address))
    if live:
        why = None
    elif int(nonce) == 0:
        why = "none"
    elif suspended == int(nonce):
        why = "suspended"
    else:
        why = "expired"
    backing = token.backing()
    return {
        "live": bool(live),
        "not_live_because": why,
        "nonce": int(nonce),
        "as_of": int(as_of),
        "age": now - int(as_of) if int(nonce) else None,
        "expires_at": int(expires_at),
        "time_left": max(int(expires_at) - now, 0) if int(nonce) else None,
        "lots_root": "0x" + bytes(root).hex(),
        "total_quantity": int(total),
        "lot_count": int(registry.lotCount(token.address)),
        "backing": int(backing[1]),
        "attesters": [str(a) for a in registry.attesters(token.address)],
        "threshold": int(registry.threshold(token.address)),
    }


def live_root(book, token, symbol: str) -> bytes:
    """The live statement's root; refused (exit 3) when there is no live statement."""
    from ape import chain

    state = attestation_state(book, token, chain.blocks.head.timestamp)
    if not state["live"]:
        raise InputError(f"{symbol} has no live statement ({state['not_live_because']})")
    return bytes.fromhex(state["lots_root"][2:])


def check_attested(lots: LotList, book, token, symbol: str) -> None:
    """Refuse a lot list whose root is not the live statement's."""
    root = live_root(book, token, symbol)
    if lots.root != root:
        raise InputError(
            f"{lots.path}: its root 0x{lots.root.hex()} is not the live {symbol} statement's "
            f"(0x{root.hex()}): this is not the attested list"
        )
