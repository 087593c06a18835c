"""The main job on the embedded local Anvil chain (`make demo`).

Deploys the system with Anvil's test accounts in every role, then tells a short
story of treasury operations and prints the state after it.
"""

from __future__ import annotations

from ape import accounts, chain, project
from ape.logging import logger
from rich.table import Table

from sovereign import apefix
from sovereign.deploy import CASH, CollateralSpec, SystemConfig, deploy_system, local_role_holders
from sovereign.preflight import simulate
from sovereign.rolematrix import read_role_matrix, render_role_matrix
from sovereign.status import make_console, read_status, render_status
from sovereign.units import format_amount, text_to_bytes32, to_units, wad

console = make_console()
FEED_DECIMALS = 8


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
            CollateralSpec("SB30", bond, feed_decimals=FEED_DECIMALS, haircut_bps=500),
            # The reserve's own redemption cash counts at par, with no haircut.
            CollateralSpec("eSHL", CASH, feed_decimals=FEED_DECIMALS, haircut_bps=0),
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
    render_role_matrix(read_role_matrix(system), console)
