"""`make demo`'s script, run as a user runs it: its own embedded Anvil, real output.

The story's outcomes are read from what it prints: the `ape treasury` command lines,
what each command said (sent, scheduled, executed, refused with its sentence), and
the closing before/after table and role holders. Figures that do not depend on the
clock are checked exactly; the vault's accretion depends on the seconds between
transactions, so the figures it moves are checked within a band and against each
other."""

import os
import re
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
EXCHANGE = "0xFABB0ac9d68B0B445fB7357272Ff202C5651694a"  # Anvil account 12
CUSTOMER = "0xdF3e18d64BC6A983f673Ab319CCaE4f1a57C7097"  # Anvil account 14
BURNER = "0x90F79bf6EB2c4f870365E785982E1f101E93b906"  # Anvil account 3
COMMODITY_OFFICE = "0xdD2FD4581271e230360230F9337D5c0430Bf44C0"  # Anvil account 18
CUSTODIAN = "0x8626f6940E2eb28930eFb4CeF49B2d1F2C9C1199"  # Anvil account 19
BOND = "SLB500000017"


@pytest.fixture(scope="module")
def demo():
    ape = Path(sys.executable).with_name("ape")
    out = subprocess.run(
        [str(ape), "run", "demo", "--network", "ethereum:local:foundry"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "COLUMNS": "200"},
    )
    assert out.returncode == 0, (out.stdout[-3000:], out.stderr[-3000:])
    return out.stdout


def flat(text: str) -> str:
    """The output with rich's line wrapping undone (every run of whitespace one space)."""
    return " ".join(text.split())


def table(text: str, title: str) -> list[list[str]]:
    """The body rows of the (first) rich table whose title starts with ``title``, as cells."""
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.strip().startswith(title))
    rows = []
    for line in lines[start + 1 :]:
        if line.startswith("└"):
            break
        if line.startswith("│"):
            rows.append([cell.strip() for cell in line.strip("│").split("│")])
    return rows


def amount(cell: str) -> Decimal:
    return Decimal(cell.split()[0].rstrip("%").replace(",", ""))


def test_every_step_prints_and_runs_its_command(demo):
    commands = re.findall(r"^  \$ (ape treasury .*)$", demo, re.M)
    expected = [
        "ape treasury deploy --config ",
        "ape treasury cash issue reserve 60,000 --yes",
        "ape treasury collateral deposit SB30 10,000,000 --account TEST::10 --yes",
        "ape treasury oracle report SB30 0.98 --yes",
        f"ape treasury participants add {EXCHANGE} --ref VASP-LIC-0042 --yes",
        f"ape treasury mint {EXCHANGE} 5,000,000 --id MINT-0001 --yes",
        "ape treasury redeem 400,000 --id REDEEM-0001 --account TEST::12 --yes",
        "ape treasury redemptions show",
        "ape treasury redemptions process --account TEST::0 --yes",
        "ape treasury cash issue reserve 1,940,000 --yes",
        "ape treasury redemptions claim 1 --account TEST::12 --yes",
        f"ape treasury mint {EXCHANGE} 6,500,000 --id MINT-0002 --yes",
        f"ape treasury compliance freeze {CUSTOMER} --case AML-2026-0117 --yes",
        f"ape treasury compliance seize {CUSTOMER} burner 250,000 --case COURT-2026-031 --yes",
        "ape treasury burn 250,000 --id BURN-0001 --yes",
        "ape treasury bills issue SLTB-3M --days 91 --price 0.988 --amount 1,400,000 --yes",
        "ape treasury vault deposit 3,000,000 --receiver reserve --account TEST::0 --yes",
        "ape treasury bills buy SLTB-12M 1,400,000 --max-price 0.95125 --yes",
        "ape treasury pause redeem --yes",
        "ape treasury unpause redeem --yes",
        "ape treasury params min-ratio 110% --yes",
        "ape treasury governance pending",
        "ape treasury collateral list",
        "ape treasury oracle report eSHL 1.00 --yes",
        "ape treasury bills fund SLTB-3M --yes",
        "ape treasury bills redeem SLTB-3M --yes",
        f"ape treasury bonds issue {BOND} --name 'Sovereign Bond ",
        f"ape treasury bonds buy {BOND} 10,000 --max-price 99.50 --account TEST::13 --yes",
        f"ape treasury bonds buy {BOND} 20,000 --max-price 99.50 --to reserve --account TEST::0",
        f"ape treasury bonds feeds {BOND} --yes",
        f"ape treasury bonds collateral {BOND} --price 99.50 --heartbeat 86400 --haircut 0 ",
        f"ape treasury oracle report {BOND} 99.50 --yes",
        f"ape treasury bonds fund-coupon {BOND} --yes",
        f"ape treasury bonds claim {BOND} --holder reserve --yes",
        f"ape treasury bonds claim {BOND} --account TEST::13 --yes",
        "ape treasury bills fund SLTB-12M --yes",
        f"ape treasury bonds show {BOND}",
    ]
    for prefix in expected:
        assert any(c.startswith(prefix) for c in commands), prefix
    # Scheduled by the first run, executed by the same command after the delay.
    assert commands.count("ape treasury unpause redeem --yes") == 2
    listing = [c for c in commands if c.startswith(f"ape treasury bonds collateral {BOND}")]
    assert len(listing) == 2 and listing[0] == listing[1]
    assert sum(c.startswith(f"ape treasury bonds fund-coupon {BOND}") for c in commands) == 2
    assert commands.count("ape treasury params min-ratio 110% --yes") == 2
    assert f"{len(commands)} ape treasury commands ran, on one chain." in demo
    # Every write ran on the demo's chain: the CLI's own report of each send.
    assert flat(demo).count(" in block ") >= 30


def test_issuance_and_the_refused_mint(demo):
    text = flat(demo)
    assert "manifest: /tmp/sovereign-demo-" in text  # never the repository's deployments/
    assert "the reserve now holds 10,000,000.00 SB30" in text
    assert f"(minting 5,000,000.00 SSHL to {EXCHANGE} (MINT-0001))" in text
    assert (
        f"Error: minting 6,500,000.00 SSHL to {EXCHANGE} (MINT-0002), would fail: the "
        "collateral ratio would fall to 98.28%, below the 102.00% minimum (collateral "
        "10,910,000.00 eSHL against a supply of 11,100,000.00 SSHL;"
    ) in text
    assert "or mint or withdraw less (exit 4)" in text


def test_a_run_on_the_desk__queued_then_paid_as_cash_arrives(demo):
    text = flat(demo)
    assert "queued as request 1: it is paid as the limits refill and cash arrives" in text
    assert "queue: 1 request, 400,000.00 SSHL unpaid" in text
    # An hour later: the reserve's first tranche of cash is all a round can pay.
    assert "round 1: 60,000.00 SSHL paid for 60,000.00 eSHL (pro rata)" in text
    # With the central bank's cash in, the hour's bucket binds: 250,000 less round 1's,
    # refilled by the seconds between the two rounds.
    second = re.search(r"round 2: ([\d,.]+) SSHL paid for ([\d,.]+) eSHL \(pro rata\)", text)
    assert second and Decimal("187000") <= amount(second.group(1)) < Decimal("187200")
    assert amount(second.group(1)) == amount(second.group(2))  # at par, no fee
    third = re.search(r"round 3: ([\d,.]+) SSHL paid for [\d,.]+ eSHL \(the whole pool\)", text)
    assert third
    assert amount(second.group(1)) + amount(third.group(1)) == Decimal("340000")
    assert "claiming 400,000.00 eSHL for request 1" in text
    assert "queue: 0 requests, 0.00 SSHL unpaid" in text


def test_the_transparency_page__written_and_its_path_printed(demo):
    text = flat(demo)
    assert "$ ape treasury report --html reports/transparency" in demo
    page = re.search(r"written: (\S+/reports/transparency/index\.html) \(block [\d,]+\)", text)
    assert page, "the demo did not print the page's path"
    html = Path(page.group(1)).read_text()
    assert "<svg" in html and "Collateral ratio since deployment" in html


def test_freeze_and_seizure(demo):
    text = flat(demo)
    assert f"(freezing {CUSTOMER} (AML-2026-0117))" in text
    assert (
        f"the customer tries to send 10,000 SSHL back: refused, account {CUSTOMER} is frozen"
        in text
    )
    assert f"(seizing 250,000.00 SSHL from {CUSTOMER} to {BURNER} (COURT-2026-031))" in text
    assert "(burning 250,000.00 SSHL (BURN-0001))" in text


def test_pause_and_the_delayed_governor_change(demo):
    text = flat(demo)
    assert "(pausing redemption)" in text
    assert (
        "Error: step 2 of 2, redeeming 100,000.00 SSHL (REDEEM-0002), would fail: redemption "
        "is paused: nothing is paid and no request is queued until the governor unpauses it; "
        "nothing was sent"
    ) in text
    assert "(scheduling (86,400 s delay) unpausing redemption)" in text
    assert (
        "(scheduling (86,400 s delay) setting the minimum collateral ratio of Reserve from "
        "102.00% to 110.00%)"
    ) in text
    assert "2 scheduled operations pending" in text
    assert "(the clock moves 1 day: the governor's delay passes" in text
    assert "executed: " in text and "(unpausing redemption)" in text
    assert re.search(
        r"executed: 0x[0-9a-f]{64} in block \d+, gas [\d,]+ \(setting the minimum collateral "
        r"ratio of Reserve from 102\.00% to 110\.00%\)",
        text,
    )
    # After the unpause the same redemption goes through.
    assert "sent: " in text and "(redeeming 100,000.00 SSHL (REDEEM-0002))" in text


def test_stale_feed_stops_the_mint_until_reported(demo):
    text = flat(demo)
    # `collateral list`, a day after the last reports: both stubs past their heartbeat.
    ages = {row[0]: row[-1] for row in table(demo, "Collateral of the reserve")}
    for symbol in ("SB30", "eSHL"):
        age, tail = ages[symbol].split(" s ", 1)
        assert int(age.replace(",", "")) > 86_400 and tail == "STALE (heartbeat 86,400 s)"
    assert ages["STBF"] == "0 s"  # the vault's shares are priced every block
    refusal = f"Error: minting 250,000.00 SSHL to {EXCHANGE} (MINT-0003), would fail: the "
    assert refusal + "collateral ratio would fall to" in text
    # Only the vault's shares counted: 3,000,000 STBF less the 1% haircut, about 2.97M.
    pattern = r"collateral ratio would fall to [\d.]+%, below the 102\.00% minimum \(collateral "
    counted = re.search(re.escape(refusal) + pattern + r"([\d,.]+) eSHL", text)
    assert counted and Decimal("2970000") < amount(counted.group(1)) < Decimal("2971000")
    # Reported afresh, the same instruction is minted.
    assert f"preflight passed: minting 250,000.00 SSHL to {EXCHANGE} (MINT-0003)" in text


def test_maturity(demo):
    text = flat(demo)
    assert "(the clock moves 91 days: SLTB-3M matures)" in text
    assert "funding SLTB-3M with 1,400,000.00 eSHL" in text
    assert "the vault received 1,400,000.00 eSHL, at face" in text


def test_before_and_after_table(demo):
    rows = {row[0]: row[1:] for row in table(demo, "Before and after")}
    assert rows["SSHL supply"] == ["4,600,000.00 SSHL", "4,500,000.00 SSHL"]
    assert rows["Collateral value (haircut, capped)"][0] == "10,910,000.00 eSHL"
    assert rows["Collateral ratio"][0] == "237.17%"
    assert rows["Minimum ratio"] == ["102.00%", "110.00%"]
    assert rows["Mintable now"][0] == "6,096,078.431372549019607843 SSHL"
    # Two coupons of 50,000.00 each (20,000 bonds x 2.50) came back to the reserve in cash.
    assert rows["Redemption cash (reserve)"] == ["1,600,000.00 eSHL", "1,600,000.00 eSHL"]
    assert rows["T-bill vault NAV"][0] == "0.00 eSHL"
    assert rows["Paused"] == ["nothing", "nothing"]
    assert rows["Frozen accounts"] == ["none", f"customer {CUSTOMER}"]

    # The vault: 4,500,000 deposited, 4,080,650 paid for the ladder, every bill repaid at
    # face (4,200,000): all idle cash at the end, exactly.
    assert rows["T-bill vault NAV"][1] == "4,619,350.00 eSHL"
    # Collateral, exactly: SB30 9,310,000 (10,000,000 x 0.98 less 5%); cash 1,600,000; the
    # reserve's 3,000,000 of the 4,500,000 vault shares at 1.026522 a share (the NAV feed
    # answers in whole cash units) less 1%, 3,048,770.34; the bond 1,791,000 (20,000 at the
    # 99.50 clean price, no accrued interest on a coupon date, less the 10% haircut for 3 to
    # 5 years to maturity).
    assert rows["Collateral value (haircut, capped)"][1] == "15,749,770.34 eSHL"
    assert rows["Collateral ratio"][1] == "349.99%"
    assert rows["Mintable now"][1] == "9,817,973.036363636363636363 SSHL"


def test_the_bond__accrued_interest_moves_the_ratio_between_coupons(demo):
    text = flat(demo)
    assert f"creating bond {BOND} (Sovereign Bond " in text
    assert "face 100.00 eSHL, 5.00% fixed, semi-annual ACT/ACT-ICMA" in text
    assert f"delivering 20,000.00 {BOND} to " in text and " (reserve))" in text
    assert "funding coupon 0 of " in text and "with up to 75,000.00 eSHL of the 75,000.00" in text
    assert f"claiming coupon 0 of {BOND} for " in text and "(reserve) (50,000.00 eSHL)" in text
    rows = table(demo, "The bond in the reserve, date by date")
    moments = [row[1] for row in rows]
    assert moments == [
        "listed",
        "two months on",
        "eve of record date",
        "record date (ex-coupon)",
        "coupon 0 claimed",
        "coupon 1 claimed",
    ]
    accrued = [amount(row[2]) for row in rows]
    counted = [amount(row[4]) for row in rows]
    cash = [amount(row[5]) for row in rows]
    ratio = [amount(row[7]) for row in rows]
    # Interest accrues day by day, and the reserve counts it (the haircut tier may also fall
    # from 18% to 10% once less than five years are left).
    assert 0 < accrued[0] < accrued[1] < accrued[2] < Decimal("2.50")
    assert counted[1] < counted[2] and ratio[1] < ratio[2]
    # On the record date the coming coupon is the holder's of record: accrued turns negative,
    # the bond's value falls by about the coupon (20,000 x 2.50 less 10%), and so the ratio.
    assert accrued[3] < 0 and ratio[3] < ratio[2]
    drop = counted[2] - counted[3]
    assert abs(drop - (accrued[2] - accrued[3]) * 20_000 * Decimal("0.9")) < 1, drop
    # On the coupon date the coupon comes back as cash, claimed for the reserve.
    assert accrued[4] == accrued[5] == 0 and counted[4] == counted[5] == Decimal("1791000")
    assert cash == [Decimal("1500000")] * 4 + [Decimal("1550000"), Decimal("1600000")]
    assert ratio[4] > ratio[3]
    # `bonds show`: the schedule with both coupons paid for the reserve.
    schedule = table(demo, f"{BOND}: coupon schedule")
    assert len(schedule) == 10
    assert schedule[0][1:] and schedule[0][-1] == "paid in full"
    assert schedule[1][-3:] == ["75,000.00", "50,000.00", "funded: claimable"]
    assert all(row[-1] == "upcoming" for row in schedule[2:])


def test_role_holders_by_label(demo):
    rows = table(demo, "Role holders (from the manager, by label)")
    held = {row[0]: (row[1], row[2]) for row in rows if row[0]}
    assert held["admin"] == ("governor", "0x70997970C51812dc3A010C7d01b50e0d17dc79C8")
    assert held["governor"] == ("governor", "0x70997970C51812dc3A010C7d01b50e0d17dc79C8")
    assert held["minter"] == ("minter", "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC")
    assert held["guardian"] == ("guardian", "0x15d34AAf54267DB7D7c367839AAf71A00a2C6A65")
    assert held["vault-manager"][0] == "vault-manager"
    assert held["commodity-office"] == ("commodity-office", COMMODITY_OFFICE)
    assert held["custodian"] == ("custodian", CUSTODIAN)
    # admin, the thirteen roles held by accounts, and the program issuer: the two debt
    # registries and the two tokens
    assert len(held) == 15
    issuers = [row[1] for row in rows if row[0] in ("program-issuer", "")]
    assert sorted(issuers) == ["BondRegistry", "SGLD token", "SOIL token", "TBillRegistry"]


def _eshl(text: str) -> Decimal:
    return Decimal(text.replace(",", ""))


def test_the_commodities__attested_minted_counted_then_the_crude_expires(demo):
    """Gold (160.752 oz) and crude (8,000 bbl) attested by two of three, minted into the
    reserve and counted at the USD price x the fixing (22.50), less the closed-market cut
    (5%) when the chain's date is a weekend, less their haircuts (15%, 20%); when the crude
    statement expires it counts zero and the collateral value falls by exactly its value."""
    text = flat(demo)
    assert "has 2 of the 2 signatures needed" in text
    assert "lot KB-RF1-000103 (VAULT-CO, FREETOWN, 999.9, 32.152 SGLD) is in the live SGLD" in text
    assert "no (expired)" in text
    rows = {row[0]: row[1:] for row in table(demo, "Commodities in the reserve (amounts in eSHL)")}
    closed = "market closed" in text.split("ape treasury commodities list", 1)[1][:4000]
    cut = Decimal("0.95") if closed else Decimal(1)
    gold = Decimal("160.752") * 2_400 * Decimal("22.5") * cut * Decimal("0.85")
    crude = Decimal(8_000) * 80 * Decimal("22.5") * cut * Decimal("0.80")
    assert rows["before"][:2] == ["0.00", "0.00"]
    assert [_eshl(v) for v in rows["gold and crude attested"][:2]] == [gold, crude]
    assert _eshl(rows["crude statement expired"][1]) == 0
    with_both = _eshl(rows["gold and crude attested"][2])
    expired = _eshl(rows["crude statement expired"][2])
    # Seven days of bond interest accrue between the two readings; the crude's value is
    # what leaves the ratio, give or take that accrual (20,000 bonds x 5% x 7/365 x 100),
    # and the gold's change when one reading falls in the FX market's weekend closure and
    # the other does not (the demo's dates follow the wall clock Anvil starts at).
    gold_after = _eshl(rows["crude statement expired"][0])
    assert abs((with_both - expired) - crude - (gold - gold_after)) < Decimal("2000")
    ceilings = {row[0]: row[1:] for row in table(demo, "Program ceilings")}
    # Book value at price x spot, with no closed-market cut.
    assert _eshl(ceilings["METALS"][1].split()[0]) == Decimal("160.752") * 2_400 * Decimal("22.5")
    assert _eshl(ceilings["ENERGY"][1].split()[0]) == Decimal(8_000) * 80 * Decimal("22.5")
