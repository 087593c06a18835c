"""sovereign.commodities.load_statement_file: a statement file comes from another person
(the attester who signed first), so every field is checked against the contract's type
(uint64 nonce and times, uint32 lot count, uint256 total, a 32-byte root) and a bad one
is refused in one line, never a traceback or a value the chain would truncate."""

from __future__ import annotations

import json

import pytest

from sovereign.commodities import STATEMENT_KIND, load_statement_file, utc
from sovereign.inputs import InputError

GOOD = {
    "asset": "0x" + "11" * 20,
    "nonce": 1,
    "as_of": 1_700_000_000,
    "expires_at": 1_700_086_400,
    "lots_root": "0x" + "ab" * 32,
    "total_quantity": 400_125,
    "lot_count": 1,
}


def _file(tmp_path, **changes):
    doc = {
        "kind": STATEMENT_KIND,
        "chain_id": 31337,
        "registry": "0x" + "22" * 20,
        "statement": {**GOOD, **changes},
        "signatures": {},
    }
    path = tmp_path / "statement.json"
    path.write_text(json.dumps(doc))
    return path


def test_a_well_formed_file_loads_with_its_values(tmp_path):
    _, s = load_statement_file(_file(tmp_path))
    assert (s.nonce, s.total_quantity, s.lot_count, s.lots_root) == (1, 400_125, 1, b"\xab" * 32)


@pytest.mark.parametrize(
    ("field", "value", "says"),
    [
        ("nonce", -1, "nonce -1 is outside uint64"),
        ("expires_at", 2**64, f"expires_at {2**64} is outside uint64"),
        ("total_quantity", 2**300, "is outside uint256"),
        ("lot_count", 2**32, "is outside uint32"),
        ("total_quantity", 400.125, "total_quantity 400.125 is not a whole number"),
        ("nonce", True, "nonce True is not a whole number"),
        ("lots_root", "0xabcd", "lots_root is 2 bytes, not 32"),
        ("lots_root", 7, "lots_root is not a string"),
    ],
)
def test_a_field_outside_its_type_is_refused_naming_it(tmp_path, field, value, says):
    with pytest.raises(InputError, match="the statement file is malformed") as err:
        load_statement_file(_file(tmp_path, **{field: value}))
    assert says in str(err.value)


def test_a_time_past_the_year_9999_is_shown_as_its_number():
    assert utc(2**64 - 1) == f"timestamp {2**64 - 1}"
    assert utc(0) == "1970-01-01 00:00:00 UTC"
