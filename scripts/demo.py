"""The main job on the embedded local Anvil chain (`make demo`).

Deploys the system with Anvil's test accounts in every role, then tells a short
story of treasury operations and prints the state after it.
"""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

from ape import accounts, chain, project
from ape.logging import logger
from rich.table import Table

from sovereign import apefix
from sovereign.deploy import CASH, CollateralSpec, SystemConfig, deploy_system, local_role_holders
from sovereign.preflight import simulate
from sovereign.rolematrix import read_role_matrix, render_role_matrix, role_matrix_json
from sovereign.status import make_console, read_status, render_status
from sovereign.units import format_amount, text_to_bytes32, to_units, wad

console = make_console()
FEED_DECIMALS = 8
DAY = 86_400


def step(text: str) -> None:
    console.print(f"[bold cyan]▶[/] {text}")


def main():
    logger.set_level("WARNING")  # the story, not every transaction hash
    apefix.apply_all()
    if chain.provider.network.name != "local":
        raise SystemExit("demo runs on the local network only (it uses Anvil's test accounts)")
    deployer, holders, others = local_role_holders(accounts.test_accounts)
    minter, reporter, registrar = holders.minter, holders.oracle_reporter, holders.registrar
    central_bank = holders.central_bank
    exchange, debt_office = others[0], holders.debt_office
    config = SystemConfig()

    step("Deploy: access manager, settlement cash, stablecoin, reserve, price feeds")
    bond = project.MockERC20.deploy("Sovereign Bond 2030", "SB30", 18, sender=deployer)
    system = deploy_system(
        deployer,
        holders,
        config,
        collateral=[
            # Each stub's first answer is forced at deployment; the reporter's later
            # reports move it within the deviation bound over the window.
            CollateralSpec(
                "SB30",
                bond,
                feed_decimals=FEED_DECIMALS,
                haircut_bps=500,
                initial_price=Decimal("1.00"),
            ),
            # The reserve's own redemption cash counts at par, with no haircut.
            CollateralSpec(
                "eSHL", CASH, feed_decimals=FEED_DECIMALS, haircut_bps=0, initial_price=Decimal("1")
            ),
        ],
    )
    cash = system.cash
    deployed = Table(title="Deployed")
    deployed.add_column("contract")
    deployed.add_column("address")
    for name, contract in system.contracts().items():
        deployed.add_row(name, contract.address)
    deployed.add_row("SB30 (tokenized bond)", bond.address)
    console.print(deployed)

    def cash_units(amount: str) -> int:
        return to_units(amount, cash.decimals())

    step("The central bank issues 2,000,000 eSHL of settlement cash to the reserve")
    cash.mint(system.reserve, cash_units("2000000"), sender=central_bank)

    step(
        "The debt office moves 10,000,000 SB30 bonds into the reserve;"
        " the reporter prices them at 0.98"
    )
    bond.mint(system.reserve, wad("10000000"), sender=debt_office)
    system.feeds["SB30"].report(to_units("0.98", FEED_DECIMALS), sender=reporter)
    system.feeds["eSHL"].report(to_units("1", FEED_DECIMALS), sender=reporter)

    step("The regulator's registrar licenses an exchange (AML-registered VASP)")
    system.reserve.registerParticipant(exchange, text_to_bytes32("VASP-LIC-0042"), sender=registrar)

    step("The treasury mints 5,000,000 SSHL to the exchange (instruction MINT-0001)")
    system.reserve.mint(exchange, wad("5000000"), text_to_bytes32("MINT-0001"), sender=minter)

    step("The exchange redeems 400,000 SSHL for settlement cash (REDEEM-0001)")
    system.reserve.redeem(wad("400000"), text_to_bytes32("REDEEM-0001"), sender=exchange)
    console.print(
        f"  exchange now holds {format_amount(cash.balanceOf(exchange), cash.decimals())} eSHL"
    )

    step("The treasury tries to mint 6,500,000 SSHL more (MINT-0002)")
    # A preflight simulation, as the treasury scripts do: nothing is sent when it fails.
    revert = simulate(
        system.reserve,
        "mint",
        exchange,
        wad("6500000"),
        text_to_bytes32("MINT-0002"),
        sender=minter,
    )
    if revert is None:
        raise SystemExit("BUG: a mint past the collateral ratio was accepted")
    console.print(f"  [red]refused[/]: minting 6,500,000.00: {revert.sentence}")

    render_status(read_status(system), console)
    tbill_story(system, deployer, holders, others, console)
    matrix = read_role_matrix(system)
    render_role_matrix(matrix, console)
    # The same state for machines and auditors, as JSON under reports/.
    reports = Path("reports")
    reports.mkdir(exist_ok=True)
    (reports / "demo-status.json").write_text(json.dumps(read_status(system), indent=2))
    (reports / "role-matrix.json").write_text(role_matrix_json(matrix))
    console.print("written: reports/demo-status.json, reports/role-matrix.json")


def tbill_story(system, deployer, holders, others, console) -> None:
    """Issue 4's chapter: a T-bill ladder in the vault, whose shares back the coin."""
    cash, vault, registry = system.cash, system.vault, system.registry
    office, manager, compliance = holders.debt_office, holders.vault_manager, holders.compliance
    investors, treasury = others[1:3], deployer
    unit = 10 ** cash.decimals()

    step("The debt office issues three T-bill series (3, 6 and 12 months) at auction")
    now = chain.pending_timestamp
    ladder = {}
    for code, days, price in (
        ("SLTB-3M", 91, "0.988"),
        ("SLTB-6M", 182, "0.9755"),
        ("SLTB-12M", 364, "0.95125"),
    ):
        receipt = registry.createSeries(code, 6, unit, now, now + days * DAY, sender=office)
        series = project.TBillSeries.at(receipt.events.filter(registry.SeriesCreated)[0].series)
        registry.openAuction(series, to_units(price, 6), 10**15, sender=office)
        ladder[code] = (series, to_units(price, 6))
        console.print(f"  {code}: matures in {days} days, auction price {price}")

    step(
        "Two KYC'd investors deposit 1,500,000 eSHL; the treasury deposits 3,000,000 "
        "for the reserve"
    )
    for who, amount in ((investors[0], "1000000"), (investors[1], "500000"), (treasury, "3000000")):
        vault.setAllowlisted(
            who, True, text_to_bytes32("KYC-" + who.address[2:10]), sender=compliance
        )
        cash.mint(who, to_units(amount, 6), sender=holders.central_bank)
        cash.approve(vault, to_units(amount, 6), sender=who)
    vault.deposit(to_units("1000000", 6), investors[0], sender=investors[0])
    vault.deposit(to_units("500000", 6), investors[1], sender=investors[1])
    vault.deposit(to_units("3000000", 6), system.reserve, sender=treasury)

    step("The vault manager buys the ladder: 1,400,000 face of each series")
    for series, price in ladder.values():
        vault.buy(series, to_units("1400000", 6), price, sender=manager)
    render_status(read_status(system), console)

    step("92 days pass; the reporter refreshes the bond and cash prices")
    chain.mine(1, timestamp=chain.pending_timestamp + 92 * DAY)
    system.feeds["SB30"].report(to_units("0.98", FEED_DECIMALS), sender=holders.oracle_reporter)
    system.feeds["eSHL"].report(to_units("1", FEED_DECIMALS), sender=holders.oracle_reporter)

    step("SLTB-3M has matured: the treasury repays it, the vault redeems at face")
    series, _ = ladder["SLTB-3M"]
    cash.mint(treasury, series.outstandingFace(), sender=holders.central_bank)
    cash.approve(series, series.outstandingFace(), sender=treasury)
    series.fundRepayment(series.outstandingFace(), sender=treasury)
    vault.sync(sender=manager)
    index = [lot.series for lot in vault.maturedLots()].index(series.address)
    payout = vault.redeemMatured(index, sender=manager).events.filter(vault.BillRedeemed)[0].payout
    console.print(f"  redeemed for {format_amount(payout, 6)} eSHL")
    render_status(read_status(system), console)
