"""Operator input validation: exact amounts and checksummed addresses."""

import pytest

from sovereign.inputs import InputError, parse_amount, resolve_address

CHECKSUMMED = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8"


@pytest.mark.parametrize(
    "text,units",
    [
        ("1", 1_000_000),
        ("1.5", 1_500_000),
        ("1,000,000.000001", 1_000_000_000_001),
        ("0.000001", 1),
        ("  250 ", 250_000_000),
    ],
)
def test_amounts__exact(text, units):
    assert parse_amount(text, 6, "eSHL") == units


@pytest.mark.parametrize(
    "text,message",
    [
        ("", "amount is empty"),
        ("-5", "is negative"),
        ("1,00", "thousands separator in the wrong place"),
        ("1,0000", "thousands separator in the wrong place"),
        ("10,00,000", "thousands separator in the wrong place"),
        ("1.0000001", "has 7 decimal places; eSHL has 6"),
        ("1e6", "not a plain decimal number"),
        ("+5", "not a plain decimal number"),
        ("NaN", "not a plain decimal number"),
        ("1.000,5", "thousands separator in the wrong place"),
        ("0", "is zero"),
        ("0.000", "is zero"),
    ],
)
def test_amounts__refused_in_one_line(text, message):
    with pytest.raises(InputError, match=message) as err:
        parse_amount(text, 6, "eSHL")
    assert "\n" not in str(err.value)


def test_amount__zero_when_allowed():
    assert parse_amount("0", 18, "SSHL", allow_zero=True) == 0


def test_addresses__checksummed_or_label():
    assert resolve_address(CHECKSUMMED) == CHECKSUMMED
    assert resolve_address("reserve", {"reserve": CHECKSUMMED}) == CHECKSUMMED
    with pytest.raises(InputError, match="not checksummed; if it is right, write it as 0x7099"):
        resolve_address(CHECKSUMMED.lower())
    with pytest.raises(InputError, match="neither an address nor a known label"):
        resolve_address("0x1234")
    with pytest.raises(InputError, match=r"known labels: reserve\)"):
        resolve_address("treasury", {"reserve": CHECKSUMMED})
