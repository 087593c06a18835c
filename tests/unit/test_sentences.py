"""One sentence per custom error (sovereign.sentences): plain Python, no chain.

The list of errors is the compiled ABIs' (every contract but the mocks under
contracts/test/), so a new error without a sentence fails here.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from sovereign.roles import Role
from sovereign.sentences import SENTENCES, Token, Units, sentence
from sovereign.units import WAD, wad

BUILD = Path(__file__).resolve().parents[2] / ".build" / "__local__.json"


def _abi_errors() -> dict[str, list[dict]]:
    """error name -> its ABI inputs, over every non-mock contract."""
    errors: dict[str, list[dict]] = {}
    for contract in json.loads(BUILD.read_text())["contractTypes"].values():
        if contract.get("sourceId", "").startswith("contracts/test/"):
            continue
        for entry in contract.get("abi", []):
            if entry.get("type") == "error":
                errors[entry["name"]] = entry["inputs"]
    return errors


ERRORS = _abi_errors()

PKRC = Token("PKRC", 18)
ESHL = Token("eSHL", 2)
TREASURY = "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed"
MINTER = "0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359"
SELECTOR = bytes.fromhex("deadbeef")
CASE = b"CASE-7".ljust(32, b"\0")
NOON = 1_796_220_000  # 2026-12-02 14:00:00 UTC
TIME_NAMES = {
    "nowTs",
    "maturity",
    "graceEnd",
    "when",
    "earliest",
    "issueDate",
    "deadline",
    "nextMaturity",
    # the bond series'
    "recordDate",
    "payDate",
    "callDate",
    "noticeBy",
    "redemptionDate",
    "fixingTime",
    "updatedAt",
}

UNITS = Units(coin=PKRC, cash=ESHL, labels={TREASURY: "treasury", MINTER: "minter"})
# A six-decimal cash, a series token and known selectors: every other branch.
UNITS_SERIES = Units(
    coin=PKRC,
    cash=Token("eSHL", 6),
    token=Token("SLTB-2027-03-A", 6),
    price_decimals=18,
    functions={SELECTOR: "Reserve.mint"},
)


def _inputs(abi_inputs: list[dict], big: int, role: int) -> dict:
    """Distinctive values by ABI type (and by name for times): ``big`` for amounts and
    counts (clipped to the type; signed only for int types), ``role`` for uint64 ids."""
    values = {}
    for item in abi_inputs:
        name, kind = item["name"], item["type"]
        if kind == "address":
            value = TREASURY
        elif kind == "bytes32":
            value = CASE
        elif kind == "bytes4":
            value = SELECTOR
        elif kind == "string":
            value = "SLTB-2027-03-A-AND-A-NAME-LONGER-THAN-31-BYTES"
        elif kind == "bool":
            value = True
        elif name in TIME_NAMES:
            value = NOON
        elif kind == "uint8":
            value = 7
        elif kind == "uint64":
            value = role
        elif kind.startswith("uint"):
            value = min(abs(big), 2 ** int(kind[4:]) - 1)
        else:
            bits = int(kind[3:])
            value = max(min(big, 2 ** (bits - 1) - 1), -(2 ** (bits - 1)))
        values[name] = value
    return values


def _raw_integers(text: str) -> list[str]:
    """Runs of 7+ digits in an integer position (not a fraction), outside 0x hex."""
    return re.findall(r"(?<![\d.])\d{7,}", re.sub(r"0x[0-9a-fA-F]+", "0x", text))


def test_the_build_lists_the_systems_errors():
    assert len(ERRORS) >= 100
    assert {"ReserveCollateralRatioTooLow", "AccessManagerNotReady", "ERC20InvalidSender"} <= set(
        ERRORS
    )


@pytest.mark.parametrize("name", sorted(ERRORS))
def test_every_custom_error_has_its_own_sentence(name):
    assert name in SENTENCES
    inputs = _inputs(ERRORS[name], 12345678901234567890123, Role.MINTER)
    text = sentence(name, inputs, UNITS)
    assert not text.startswith(f"{name}("), text


@pytest.mark.parametrize("name", sorted(ERRORS))
@pytest.mark.parametrize(
    "big, role, units",
    [
        (12345678901234567890123, Role.MINTER, UNITS),
        (-98765432109876543210987, 2**64 - 2, UNITS_SERIES),
        (10**24 + 7, Role.PUBLIC, UNITS_SERIES),
    ],
    ids=["units", "negative-unknown-role", "round"],
)
def test_sentences_show_no_raw_integers_and_no_python_noise(name, big, role, units):
    inputs = _inputs(ERRORS[name], big, role)
    text = sentence(name, inputs, units)
    assert text and text == text.strip() and not text.startswith(f"{name}("), text
    assert "\n" not in text and "\r" not in text
    for noise in ("b'", 'b"', "{", "}", "None", "bytearray", "HexBytes"):
        assert noise not in text, text
    for value in inputs.values():
        if isinstance(value, int) and not isinstance(value, bool) and abs(value) >= 10**6:
            assert str(abs(value)) not in text, text
    assert not _raw_integers(text), text


@pytest.mark.parametrize("name", sorted(ERRORS))
def test_a_sentence_never_raises_on_bad_inputs(name):
    garbage = dict.fromkeys((item["name"] for item in ERRORS[name]), "?")
    for inputs in ({}, {"x": object()}, None, garbage):
        text = sentence(name, inputs, UNITS)
        assert isinstance(text, str) and text


# ---------------------------------------------------------------- exact sentences


def test_insufficient_balance__in_the_cash_token():
    units = Units(coin=PKRC, cash=ESHL, token=ESHL, labels={TREASURY: "treasury"})
    text = sentence(
        "ERC20InsufficientBalance",
        {"sender": TREASURY, "balance": 1_000_000, "needed": 1_250_000},
        units,
    )
    assert text == (
        f"{TREASURY} (treasury) holds 10,000.00 eSHL, 12,500.00 eSHL needed: "
        "it is 2,500.00 eSHL short; fund it first"
    )


def test_insufficient_balance__defaults_to_the_coin():
    text = sentence(
        "ERC20InsufficientBalance", {"sender": MINTER, "balance": 9, "needed": 9}, UNITS
    )
    tiny = "0.000000000000000009 PKRC"
    assert text == f"{MINTER} (minter) holds {tiny}, {tiny} needed"


def test_collateral_ratio_too_low():
    text = sentence(
        "ReserveCollateralRatioTooLow",
        {
            "ratioWad": wad("0.987"),
            "minimumWad": wad("1.02"),
            "collateralValueWad": 987 * WAD,
            "supplyAfter": 1_000 * WAD,
        },
        UNITS,
    )
    assert text == (
        "the collateral ratio would fall to 98.70%, below the 102.00% minimum (collateral "
        "987.00 eSHL against a supply of 1,000.00 PKRC; at most 967.647058823529411764 PKRC "
        "may be outstanding): add collateral first, or mint or withdraw less"
    )


def test_feed_deviation_too_large():
    text = sentence(
        "FeedDeviationTooLarge",
        {"anchor": 100_000_000, "answer": 101_250_000, "deviationBps": 125, "maxDeviationBps": 100},
        UNITS,
    )
    assert text == (
        "the reported price 1.0125 eSHL moves 1.25% from 1.00 eSHL, an answer within the "
        "deviation window, beyond the 1.00% limit: report a closer price, or the governor "
        "forces it (forceReport)"
    )


def test_stablecoin_paused():
    assert sentence("StablecoinPaused", {"flag": 2}, UNITS) == (
        "PKRC redemption is paused: the governor must unpause it "
        "(ape treasury unpause redeem); the guardian cannot"
    )
    assert sentence("VaultPaused", {"flag": 1}, UNITS).startswith("vault deposits are paused:")
    assert sentence("StablecoinPaused", {"flag": 8}, UNITS).startswith(
        "this PKRC operation is paused (pause flag 8): "
    )


def test_tbill_repayment_short():
    units = Units(coin=PKRC, cash=ESHL, token=Token("SLTB-2027-03-A", 2))
    text = sentence(
        "TBillRepaymentShort",
        {"owed": 1_000_000, "available": 750_000, "graceEnd": NOON + 3 * 86_400},
        units,
    )
    assert text == (
        "the repayment pool of series SLTB-2027-03-A holds 7,500.00 eSHL of the 10,000.00 eSHL "
        "owed at face; nobody is paid before the grace period ends at 2026-12-05 14:00:00 UTC: "
        "the treasury funds the 2,500.00 eSHL missing first "
        "(ape treasury bills fund SLTB-2027-03-A)"
    )


def test_conflicting_roles():
    text = sentence(
        "SovereignConflictingRoles",
        {"account": MINTER, "heldRole": Role.MINTER, "requestedRole": Role.ORACLE_REPORTER},
        UNITS,
    )
    assert text == (
        f"{MINTER} (minter) holds the minter role (granted or scheduled), which may not be "
        "combined with the oracle-reporter role: revoke it (or cancel its scheduled grant) "
        "first, or choose another account"
    )


def test_access_manager_not_ready():
    operation = bytes.fromhex("9f" * 32)
    assert sentence("AccessManagerNotReady", {"operationId": operation}, UNITS) == (
        f"operation 0x{'9f' * 32} is scheduled but its delay has not passed yet: run the same "
        "command again once it has (the manager's getSchedule gives the time)"
    )


# ---------------------------------------------------------------- formatting details


def test_cash_amounts_are_exact_and_below_one_unit_names_both_tokens():
    units = Units(coin=PKRC, cash=Token("eSHL", 3))
    assert sentence(
        "ReserveAmountBelowCashUnit", {"amount": 5 * 10**14, "unit": 10**15}, units
    ) == (
        "0.0005 PKRC is below the smallest cash unit, 0.001 eSHL (0.001 PKRC): "
        "redeem at least 0.001 PKRC"
    )
    assert "the fee of 0.009 eSHL" in sentence(
        "ReserveRedemptionPaysNothing", {"amount": 9 * 10**15, "fee": 9}, units
    )


def test_durations_roles_selectors_and_labels():
    units = Units(
        coin=PKRC, cash=ESHL, labels={TREASURY: "treasury"}, functions={SELECTOR: "Reserve.mint"}
    )
    assert sentence(
        "SovereignDelayTooShort",
        {"roleId": Role.GOVERNOR, "executionDelay": 90, "minimum": 3_600},
        units,
    ) == (
        "the governor role must be held with an execution delay of at least 3,600 s (1 hour), "
        "90 s (1 min 30 s) asked: give a longer delay"
    )
    assert "86,400 s (1 day)" in sentence(
        "AccessManagedRequiredDelay", {"caller": TREASURY, "delay": 86_400}, units
    )
    assert sentence("SovereignUnknownRole", {"roleId": 42}, units).startswith("role 42 is not")
    call = sentence(
        "AccessManagerUnauthorizedCall",
        {"caller": TREASURY.lower(), "target": MINTER, "selector": SELECTOR},
        units,
    )
    assert call.startswith(f"{TREASURY} (treasury) may not call Reserve.mint on {MINTER}:")
    assert "0xdeadbeef" in sentence("AccessManagerLockedFunction", {"selector": SELECTOR}, UNITS)
    zero = sentence("ReserveInvalidAddress", {"account": "0x" + "0" * 40}, UNITS)
    assert zero.startswith("0x" + "0" * 40 + " (the zero address) cannot be used here")


def test_ids_times_and_parameters():
    assert sentence("ReserveInstructionAlreadyExecuted", {"instructionId": CASE}, UNITS).startswith(
        "instruction CASE-7 was already executed"
    )
    assert sentence("TBillNotMatured", {"nowTs": NOON, "maturity": NOON + 61}, UNITS) == (
        "the series matures at 2026-12-02 14:01:01 UTC; it is now 2026-12-02 14:00:00 UTC: "
        "wait until then to redeem"
    )
    heartbeat = b"heartbeat".ljust(32, b"\0")
    assert sentence(
        "ReserveParameterOutOfBounds",
        {"name": heartbeat, "value": 30, "min": 60, "max": 604_800},
        UNITS,
    ) == (
        "the heartbeat of 30 s is outside its bounds, 60 s (1 min) to 604,800 s (7 days): "
        "choose a value within them"
    )
    fee = b"redemptionFeeBps".ljust(32, b"\0")
    assert "the redemption fee of 2.50% is outside its bounds, 0.00% to 1.00%" in sentence(
        "ReserveParameterOutOfBounds", {"name": fee, "value": 250, "min": 0, "max": 100}, UNITS
    )


def test_unknown_errors_fall_back_with_formatted_values():
    text = sentence(
        "SomethingNew",
        {"account": TREASURY, "ref": CASE, "maturity": NOON, "amount": 12_345_678, "ok": True},
        UNITS,
    )
    assert text == (
        f"SomethingNew(account={TREASURY} (treasury), ref=CASE-7, "
        "maturity=2026-12-02 14:00:00 UTC, amount=12,345,678, ok=true)"
    )
    # a known error whose inputs do not fit falls back too, and never raises
    assert sentence("ReserveInsufficientCash", {"required": "x"}, UNITS) == (
        "ReserveInsufficientCash(required=x)"
    )


# ---------------------------------------------------------------- bonds

BOND = Token("SLB500000017", 6)
UNITS_BOND = Units(coin=PKRC, cash=Token("eSHL", 6), token=BOND)
MAY_18 = 1_810_598_400  # 2027-05-18 00:00:00 UTC


def test_bond_terms_refused__names_the_rule_and_the_value():
    text = sentence(
        "BondInvalidTerms",
        {"reason": b"maturityOffSchedule".ljust(32, b"\0"), "value": MAY_18},
        UNITS_BOND,
    )
    assert text == (
        "the bond's terms are refused: the maturity 2027-05-18 00:00:00 UTC is not a whole "
        "number of coupon periods after the first coupon date: move one of them"
    )
    unknown = sentence("BondInvalidTerms", {"reason": CASE, "value": 5}, UNITS_BOND)
    assert unknown == "the bond's terms are refused (CASE-7, value 5)"


def test_bond_coupon_not_funded__in_cash__with_the_command():
    text = sentence(
        "BondCouponNotFunded", {"coupon": 0, "owed": 50_000 * 10**6, "funded": 0}, UNITS_BOND
    )
    assert text == (
        "coupon 0 of bond SLB500000017 holds 0.00 eSHL of the 50,000.00 eSHL owed: it is paid "
        "only when fully funded (ape treasury bonds fund-coupon SLB500000017)"
    )


def test_bond_sale_closed__says_why():
    closed = sentence("BondSaleClosed", {"reason": b"closed".ljust(32, b"\0")}, UNITS_BOND)
    assert closed == (
        "bond SLB500000017 is not for sale: no auction is open: the debt office opens one "
        "first (ape treasury bonds auction)"
    )


def test_bond_registry_haircut_tiers__bounds_in_percent():
    text = sentence(
        "RegistryHaircutOutOfBounds", {"tier": 2, "value": 500, "previous": 600, "max": 5000}, UNITS
    )
    assert text == (
        "maturity tier 2's haircut 5.00% must be at most 50.00% and not below the shorter "
        "tier's 6.00%"
    )
