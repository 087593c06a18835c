"""The Python package's pure helpers and its chain-reading tools."""

from decimal import Decimal

import pytest

from sovereign.errors import describe
from sovereign.preflight import decode_revert, simulate
from sovereign.rolematrix import read_role_matrix, role_matrix_json
from sovereign.units import (
    WAD,
    bytes32_to_text,
    format_amount,
    format_ratio,
    from_units,
    text_to_bytes32,
    to_units,
    wad,
)
from tests.utils import ref


def test_to_units_is_exact_and_refuses_excess_precision():
    assert to_units("1.5", 6) == 1_500_000
    assert to_units(Decimal("0.000001"), 6) == 1
    with pytest.raises(ValueError, match="more than 6 decimal places"):
        to_units("0.0000001", 6)
    assert from_units(1_500_000, 6) == Decimal("1.5")
    assert wad("1.02") == 102 * 10**16


def test_formatting_is_exact_unless_a_column_cuts_it_down_and_marks_no_supply():
    assert format_amount(1_999_999, 6) == "1.999999"
    assert format_amount(9, 3) == "0.009"
    assert format_amount(10_123_456_789, 10) == "1.0123456789"
    assert format_amount(10**44, 18) == "100,000,000,000,000,000,000,000,000.00"
    assert format_amount(2**256 - 1, 18).endswith(",457.584007913129639935")
    assert format_amount(0, 6) == "0.00"
    assert format_amount(1_999_999, 6, 2) == "1.99"
    assert format_ratio(wad("0.98288288")) == "98.28%"
    assert format_ratio(2**256 - 1).startswith("∞")


def test_bytes32_ids_round_trip_and_refuse_bad_text():
    assert bytes32_to_text(text_to_bytes32("MINT-0001")) == "MINT-0001"
    for bad in ("", "é", "x" * 33):
        with pytest.raises(ValueError):
            text_to_bytes32(bad)


def test_ratio_error__human_sentence():
    sentence = describe(
        "ReserveCollateralRatioTooLow",
        {
            "ratioWad": wad("0.987"),
            "minimumWad": wad("1.02"),
            "collateralValueWad": 987 * WAD,
            "supplyAfter": 1_000 * WAD,
        },
    )
    assert sentence == (
        "the collateral ratio would fall to 98.70%, below the 102.00% minimum "
        "(collateral 987.00 against a supply of 1,000.00)"
    )


def test_simulate__decodes_the_revert_and_sends_nothing(system, reserve, coin, minter, exchange):
    nonce = minter.nonce
    revert = simulate(reserve, "mint", exchange, 2_000_000 * WAD, ref("SIM-1"), sender=minter)
    assert revert.name == "ReserveCollateralRatioTooLow"
    assert revert.inputs["supplyAfter"] == 2_000_000 * WAD
    assert "below the 102.00% minimum" in revert.sentence
    assert minter.nonce == nonce and coin.totalSupply() == 0
    assert simulate(reserve, "mint", exchange, WAD, ref("SIM-2"), sender=minter) is None


def test_decode_revert__inherited_openzeppelin_error(system, coin, mallory):
    revert = simulate(coin, "freeze", mallory, ref("X"), sender=mallory)
    assert revert.name == "AccessManagedUnauthorized"
    assert revert.sentence == f"{mallory.address} lacks the role for this function"
    assert decode_revert("0x").name == "EmptyRevert"


def test_role_matrix_json_is_machine_readable(system):
    import json

    data = json.loads(role_matrix_json(read_role_matrix(system)))
    assert {row["role"] for row in data} >= {"admin", "governor", "minter", "guardian"}
