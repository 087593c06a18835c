"""`make demo`: a treasury story on the embedded local Anvil, told with `ape treasury`.

Every step prints the `ape treasury …` command it stands for, and runs exactly that
command line: in this process (`sovereign.cli.cli.main(args)`, click's own entry
point), with `--yes`, on the chain this script is connected to. In-process rather
than as a subprocess: one `ape` process start costs ~3 s, some thirty commands would
cost minutes; the command runs the same argument parsing, manifest loading, preflight,
delays and refusal sentences as in a shell, and its output and exit code (for a
refusal) are shown as a shell shows them. `ape treasury` parses its `--network`
into a new provider; `APE_FOUNDRY_HOST` (set to this script's node) makes ape-foundry
connect it to the demo's Anvil, where ape then reuses the demo's own connection
rather than starting another node (sovereign.demo_story; checked after every
command). The system is deployed by `ape treasury deploy` into a temporary
SOVEREIGN_DEPLOYMENTS folder, never into deployments/.

Not treasury commands, and so done by the demo itself and printed in parentheses: the
tokenized bond SB30 (a mock ERC-20 the debt office holds, the collateral of the first
chapters), an exchange paying a customer (a market transfer), the customer's refused
transfer while frozen, and the clock (the governor's delay, a feed going stale, the
bills' maturity, the coupon dates).

Early on, a run on the redemption desk (the bank-run brake, `ape treasury redemptions`):
the exchange's 400,000 SSHL redemption is past the hour's limit, so it is queued; a keeper
processes it as the central bank brings cash and the hour's bucket refills, and the
exchange claims its cash.

Then a real coupon bond (BondSeries, through `ape treasury bonds`): a five-year 5%
semi-annual bond issued and auctioned through the BondRegistry, 20,000 of it bought for
the reserve and listed as collateral through its BondValueFeed, two coupons funded at
their record dates and claimed for the reserve, and a table of the collateral ratio at
six dates, which the accrued interest moves between coupons.

The last chapter adds gold and crude reserves (sovereign.demo_commodity, through `ape
treasury attest` and `ape treasury commodities`): lot lists signed by two of three
attesters, minted into the reserve, counted through the FX fixing; then the crude
statement expires and its value leaves the ratio.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import tempfile
from pathlib import Path
from types import SimpleNamespace

from ape import accounts, chain, project
from ape.logging import logger

from sovereign import apefix
from sovereign.bonds import find_series
from sovereign.demo_commodity import COMMODITY_CONFIG, commodity_chapter
from sovereign.demo_story import (
    Clock,
    StoryBroken,
    Treasury,
    add_months,
    bond_reading,
    holder_names,
    render_before_after,
    render_readings,
    render_role_holders,
    snapshot,
)
from sovereign.events import deployment_block
from sovereign.manifest import load_manifest, load_system, manifest_path
from sovereign.preflight import simulate
from sovereign.rolematrix import read_role_matrix, role_matrix_json
from sovereign.status import make_console, read_status
from sovereign.units import format_amount, wad

console = make_console()
_steps = iter(range(1, 1000))


def run_on_the_desk(treasury, clock) -> None:
    """The bank-run brake: a redemption past the hour's limit is queued, then paid round
    by round as the central bank brings cash and the hour's bucket refills."""
    chapter("A run on the desk: queued past the limit, paid as cash arrives")
    step(
        "The exchange redeems 400,000 SSHL: past the hour's limit (5% of the supply, "
        "250,000) and its own day's (5%), so it is queued, not refused"
    )
    treasury("redeem", "400,000", "--id", "REDEEM-0001", "--account", "TEST::12", "--yes")
    treasury("redemptions", "show")
    clock.advance_hours(1, "the request is an hour old: it may join a payment round")
    step("A keeper (any account) processes the queue: the reserve's 60,000 eSHL is all it has")
    treasury("redemptions", "process", "--account", "TEST::0", "--yes")
    step("The central bank brings 1,940,000 eSHL; processed again, the hour's limit binds now")
    treasury("cash", "issue", "reserve", "1,940,000", "--yes")
    treasury("redemptions", "process", "--account", "TEST::0", "--yes")
    clock.advance_hours(1, "the hour's bucket refills")
    step("Processed once more: the rest is paid; the exchange claims its 400,000 eSHL")
    treasury("redemptions", "process", "--account", "TEST::0", "--yes")
    treasury("redemptions", "claim", "1", "--account", "TEST::12", "--yes")
    treasury("redemptions", "show")
    chapter("Issuance, continued")


def step(text: str) -> int:
    number = next(_steps)
    console.print(f"\n[bold cyan]▶ {number}.[/] {text}", highlight=False)
    return number


def note(text: str) -> None:
    console.print(f"  [magenta]({text})[/]", highlight=False)


def chapter(title: str) -> None:
    console.rule(f"[bold]{title}")


DEPLOY_CONFIG = """\
# The demo's deployment: every setting at its default (those of deploy/local.yaml),
# and two collateral assets besides the vault's shares.
collateral:
  - symbol: SB30            # the tokenized bond, 5% haircut, first price 1.00
    token: "{bond}"
    feed_decimals: 8
    haircut_bps: 500
    price: "1.00"
  - symbol: eSHL            # the reserve's own redemption cash, at par
    token: cash
    feed_decimals: 8
    haircut_bps: 0
    price: "1.00"
"""


BOND = "SLB500000017"  # an ISIN: SL (Sierra Leone), B5 (a five-year bond), check digit 7


def refresh_prices(treasury: Treasury, *, bond: bool = True) -> None:
    """The reporter refreshes every stub a day old (their heartbeat is a day)."""
    treasury("oracle", "report", "SB30", "0.98", "--yes")
    treasury("oracle", "report", "eSHL", "1.00", "--yes")
    if bond:
        treasury("oracle", "report", BOND, "99.50", "--yes")


def refresh_all(treasury: Treasury) -> None:
    """Every stub a day old: the collateral's, the commodities' USD prices, the FX fixing."""
    refresh_prices(treasury)
    treasury("commodities", "price", "SGLD", "2400", "--yes")
    treasury("commodities", "price", "SOIL", "80", "--yes")
    treasury("commodities", "fx", "22.50", "--yes")


def repay_bill(treasury: Treasury, code: str) -> None:
    treasury("bills", "fund", code, "--yes")
    treasury("bills", "redeem", code, "--yes")


def bond_chapter(treasury: Treasury, clock: Clock, system):
    """A 5-year 5% semi-annual bond: issued through the registry, sold at auction (part to
    the reserve, which lists it through a BondValueFeed), two coupons paid; the collateral
    ratio read at a few dates, moved by the accrued interest between coupons."""
    chapter("A five-year bond with coupons, held by the reserve")
    today = clock.today()
    issue = today if today.day <= 27 else today.replace(day=27)  # no month-end rule needed
    first, maturity = add_months(issue, 6), add_months(issue, 60)
    step(f"The debt office issues {BOND}: 5% a year, paid every six months, for five years")
    treasury(
        "bonds", "issue", BOND, "--name", f"Sovereign Bond {maturity.year}", "--face", "100.00",
        "--coupon", "5%", "--frequency", "semi-annual", "--day-count", "ACT/ACT-ICMA",
        "--issue-date", issue.isoformat(), "--first-coupon", first.isoformat(),
        "--maturity", maturity.isoformat(), "--record-days", "15",
        "--price", "99.50", "--amount", "100,000", "--yes",
    )  # fmt: skip
    step("An investor buys 10,000 bonds; the treasury buys 20,000 for the reserve")
    treasury("cash", "issue", accounts.test_accounts[13].address, "1,000,000", "--yes")
    treasury(
        "bonds", "buy", BOND, "10,000", "--max-price", "99.50", "--account", "TEST::13", "--yes"
    )
    buy = ("bonds", "buy", BOND, "20,000", "--max-price", "99.50", "--to", "reserve")
    treasury(*buy, "--account", "TEST::0", "--yes")
    step("The debt office deploys the bond's feeds; the governor lists it as collateral (1 day)")
    treasury("bonds", "feeds", BOND, "--yes")
    system = load_system(load_manifest(manifest_path()))
    listing = ("bonds", "collateral", BOND, "--price", "99.50", "--heartbeat", "86400")
    listing += ("--haircut", "0", "--cap", "5000")
    treasury(*listing, "--yes")
    clock.advance(1, "the governor's delay passes")
    refresh_prices(treasury, bond=False)
    treasury(*listing, "--yes")
    series = find_series(system.bond_registry, BOND)
    readings = [bond_reading(system, series, "listed")]
    note("the reserve counts each bond at its clean price plus accrued interest, less the")
    note("registry's haircut for its remaining maturity: 18% beyond 5 years, 10% from 3 to 5")

    clock.advance(60, "interest accrues")
    refresh_prices(treasury)
    readings.append(bond_reading(system, series, "two months on"))
    record = first - dt.timedelta(days=15)
    clock.advance_to(record - dt.timedelta(days=1), "the eve of the first record date")
    step("SLTB-6M matured meanwhile: the treasury repays it, the vault redeems it")
    refresh_prices(treasury)
    repay_bill(treasury, "SLTB-6M")
    readings.append(bond_reading(system, series, "eve of record date"))
    clock.advance(1, "the record date: the coupon is now the holders' of record")
    refresh_prices(treasury)
    readings.append(bond_reading(system, series, "record date (ex-coupon)"))
    step("The treasury funds the first coupon (from its record date on)")
    treasury("bonds", "fund-coupon", BOND, "--yes")
    clock.advance_to(first, "the first coupon date")
    step("Anyone claims the reserve's coupon for it; the investor claims its own")
    treasury("bonds", "claim", BOND, "--holder", "reserve", "--yes")
    treasury("bonds", "claim", BOND, "--account", "TEST::13", "--yes")
    refresh_prices(treasury)
    readings.append(bond_reading(system, series, "coupon 0 claimed"))

    second = add_months(issue, 12)
    clock.advance_to(second - dt.timedelta(days=15), "the second record date")
    step("SLTB-12M matured meanwhile: repaid and redeemed; the second coupon funded")
    repay_bill(treasury, "SLTB-12M")
    treasury("bonds", "fund-coupon", BOND, "--yes")
    clock.advance_to(second, "the second coupon date")
    treasury("bonds", "claim", BOND, "--holder", "reserve", "--yes")
    refresh_prices(treasury)
    readings.append(bond_reading(system, series, "coupon 1 claimed"))
    step(f"The bond's schedule, accrued interest and value: ape treasury bonds show {BOND}")
    treasury("bonds", "show", BOND)
    render_readings(readings, "eSHL", console)
    return system


def main():
    logger.set_level("WARNING")  # the story, not every transaction hash ape would log
    apefix.apply_all()
    if chain.provider.network.name != "local":
        raise SystemExit("demo runs on the local network only (it uses Anvil's test accounts)")
    saved = os.environ.get("SOVEREIGN_DEPLOYMENTS")
    with tempfile.TemporaryDirectory(prefix="sovereign-demo-") as folder:
        os.environ["SOVEREIGN_DEPLOYMENTS"] = folder
        treasury = Treasury(console)
        try:
            story(treasury, Path(folder))
        finally:
            treasury.close()
            if saved is None:
                os.environ.pop("SOVEREIGN_DEPLOYMENTS", None)
            else:
                os.environ["SOVEREIGN_DEPLOYMENTS"] = saved
    console.print(f"\n{len(treasury.commands)} ape treasury commands ran, on one chain.")


def story(treasury: Treasury, folder: Path) -> None:
    test = accounts.test_accounts
    deployer, debt_office = test[0], test[10]
    exchange, investor, customer = test[12], test[13], test[14]
    names = {exchange.address: "exchange", investor.address: "investor"}
    names[customer.address] = "customer"
    clock = Clock(console)
    console.print(
        f"Every [bold green]$ ape treasury …[/] line runs as printed, in this process, on "
        f"this chain; from another shell: APE_FOUNDRY_HOST={treasury.uri} "
        f"SOVEREIGN_DEPLOYMENTS={folder} ape treasury …",
        highlight=False,
        soft_wrap=True,
    )

    chapter("Issuance")
    step("The debt office's tokenized bond exists outside the toolkit")
    bond = project.MockERC20.deploy("Sovereign Bond 2030", "SB30", 18, sender=deployer)
    bond.mint(debt_office, wad("10000000"), sender=deployer)
    note(f"a mock ERC-20 SB30 at {bond.address}; the debt office holds 10,000,000.00 SB30")
    config = folder / "demo.yaml"
    auditors = {"auditor1": test[16].address, "auditor2": test[17].address}
    config.write_text(DEPLOY_CONFIG.format(bond=bond.address) + COMMODITY_CONFIG.format(**auditors))

    step(
        "Deploy the system with the bond and the cash as collateral, and gold and crude "
        "(Anvil's test accounts)"
    )
    console.print(config.read_text(), style="dim", highlight=False)
    treasury("deploy", "--config", str(config), "--yes")
    manifest = load_manifest(manifest_path())
    system = load_system(manifest)
    names = holder_names(manifest, names)

    step("The central bank issues a first tranche of settlement cash to the reserve: 60,000 eSHL")
    treasury("cash", "issue", "reserve", "60,000", "--yes")
    step("The debt office moves its 10,000,000 SB30 into the reserve")
    treasury("collateral", "deposit", "SB30", "10,000,000", "--account", "TEST::10", "--yes")
    step("The oracle reporter prices SB30 at 0.98")
    treasury("oracle", "report", "SB30", "0.98", "--yes")
    step("The registrar licenses an exchange (an AML-registered VASP)")
    treasury("participants", "add", exchange.address, "--ref", "VASP-LIC-0042", "--yes")
    step("The minter mints 5,000,000 SSHL to the exchange")
    treasury("mint", exchange.address, "5,000,000", "--id", "MINT-0001", "--yes")
    run_on_the_desk(treasury, clock)
    opening = step("The minter tries to mint 6,500,000 SSHL more: past the collateral ratio")
    treasury("mint", exchange.address, "6,500,000", "--id", "MINT-0002", "--yes", refused=True)
    before = snapshot(system, manifest, names)

    chapter("An AML case: freeze and seizure")
    step("The exchange pays 250,000 SSHL out to a customer")
    system.stablecoin.transfer(customer, wad("250000"), sender=exchange)
    note(f"a market transfer from the exchange's wallet to the customer {customer.address}")
    step("Compliance freezes the customer's account (AML case AML-2026-0117)")
    treasury("compliance", "freeze", customer.address, "--case", "AML-2026-0117", "--yes")
    revert = simulate(system.stablecoin, "transfer", exchange, wad("10000"), sender=customer)
    if revert is None:
        raise StoryBroken("BUG: a frozen account could still transfer")
    note(f"the customer tries to send 10,000 SSHL back: refused, {revert.sentence}")
    step("A court orders the 250,000 SSHL seized to the treasury's burner, which retires them")
    seize = ("compliance", "seize", customer.address, "burner", "250,000")
    treasury(*seize, "--case", "COURT-2026-031", "--yes")
    treasury("burn", "250,000", "--id", "BURN-0001", "--yes")

    chapter("T-bills: a ladder in the vault, whose shares back the coin")
    step("The debt office issues 3-, 6- and 12-month bills at auction")
    for code, days, price in (
        ("SLTB-3M", "91", "0.988"),
        ("SLTB-6M", "182", "0.9755"),
        ("SLTB-12M", "364", "0.95125"),
    ):
        terms = ("--days", days, "--price", price, "--amount", "1,400,000")
        treasury("bills", "issue", code, *terms, "--yes")
    step("Compliance admits an investor and the treasury to the vault (KYC)")
    treasury("vault", "allow", investor.address, "--ref", "KYC-0007", "--yes")
    treasury("vault", "allow", "treasury", "--ref", "KYC-0008", "--yes")
    step("The central bank issues them cash; they deposit it (the treasury for the reserve)")
    treasury("cash", "issue", investor.address, "1,500,000", "--yes")
    treasury("cash", "issue", "treasury", "3,000,000", "--yes")
    treasury("vault", "deposit", "1,500,000", "--account", "TEST::13", "--yes")
    treasury(
        "vault", "deposit", "3,000,000", "--receiver", "reserve", "--account", "TEST::0", "--yes"
    )
    step("The vault manager buys the ladder: 1,400,000 face of each series")
    for code, price in (("SLTB-3M", "0.988"), ("SLTB-6M", "0.9755"), ("SLTB-12M", "0.95125")):
        treasury("bills", "buy", code, "1,400,000", "--max-price", price, "--yes")

    chapter("A pause, a delayed governor change, and a stale feed")
    step("The guardian pauses redemptions at once (no delay)")
    treasury("pause", "redeem", "--yes")
    step("The exchange tries to redeem 100,000 SSHL")
    redeem = ("redeem", "100,000", "--id", "REDEEM-0002", "--account", "TEST::12", "--yes")
    treasury(*redeem, refused=True)
    step("The governor schedules the unpause and a higher minimum ratio, 110%: both wait 1 day")
    treasury("unpause", "redeem", "--yes")
    treasury("params", "min-ratio", "110%", "--yes")
    treasury("governance", "pending")
    clock.advance(1, "the governor's delay passes; the guardian did not cancel")
    step("The minter tries to mint 250,000 SSHL: the bond and cash prices are a day old")
    treasury("collateral", "list")
    treasury("mint", exchange.address, "250,000", "--id", "MINT-0003", "--yes", refused=True)
    note("a stale price counts zero: only the vault's shares, priced every block, still count")
    step("The reporter refreshes both prices; the governor executes the two changes")
    treasury("oracle", "report", "SB30", "0.98", "--yes")
    treasury("oracle", "report", "eSHL", "1.00", "--yes")
    treasury("unpause", "redeem", "--yes")
    treasury("params", "min-ratio", "110%", "--yes")
    step("The same mint and redemption now go through")
    treasury("mint", exchange.address, "250,000", "--id", "MINT-0003", "--yes")
    treasury(*redeem)

    chapter("Maturity")
    clock.advance(91, "SLTB-3M matures")
    step("The reporter refreshes the prices; the treasury repays SLTB-3M; the vault redeems it")
    treasury("oracle", "report", "SB30", "0.98", "--yes")
    treasury("oracle", "report", "eSHL", "1.00", "--yes")
    treasury("bills", "fund", "SLTB-3M", "--yes")
    treasury("bills", "redeem", "SLTB-3M", "--yes")
    head = chain.blocks.head.number
    payout = list(system.vault.BillRedeemed.range(head, head + 1))[-1].payout
    note(f"the vault received {format_amount(payout, system.cash.decimals())} eSHL, at face")

    system = bond_chapter(treasury, clock, system)  # its manifest now names the bond's feeds
    after = snapshot(system, manifest, names)  # the story's end, before the commodities
    clock.advance(1, "a day on: every price is reported afresh")
    refresh_all(treasury)
    say = SimpleNamespace(chapter=chapter, step=step, note=note, console=console)
    commodity_chapter(treasury, clock, system, folder, say, refresh_all)

    chapter("The end")
    columns = (f"after step {opening}", "after the bond chapter")
    render_before_after(before, after, columns, console)
    matrix = read_role_matrix(system, deployment_block(manifest))
    render_role_holders(matrix, names, console)
    # The same state for machines and auditors, as JSON under reports/.
    reports = Path("reports")
    reports.mkdir(exist_ok=True)
    (reports / "demo-status.json").write_text(json.dumps(read_status(system, manifest), indent=2))
    (reports / "role-matrix.json").write_text(role_matrix_json(matrix))
    console.print("written: reports/demo-status.json, reports/role-matrix.json")
    step("The public transparency page, every figure read from the chain at the head block")
    treasury("report", "--html", str(reports / "transparency"))
