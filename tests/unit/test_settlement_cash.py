"""SettlementCash: the CBDC stand-in. Proves the chain end to end (OpenZeppelin
import, deployment on Anvil, a custom-error revert, an event)."""

import ape


def test_central_bank_mints__emits_events(cash, central_bank, exchange):
    receipt = cash.mint(exchange, 1_000_000, sender=central_bank)
    assert cash.balanceOf(exchange) == 1_000_000
    assert receipt.events.filter(cash.CashIssued) == [cash.CashIssued(exchange, 1_000_000)]
    assert receipt.events.filter(cash.Transfer)[0].value == 1_000_000


def test_mint__by_anyone_else__reverts(cash, mallory, minter):
    for who in (mallory, minter):
        with ape.reverts(cash.AccessManagedUnauthorized, caller=who.address):
            cash.mint(who, 1, sender=who)


def test_mint__zero__reverts_with_custom_error(cash, central_bank, exchange):
    with ape.reverts(cash.SettlementCashZeroAmount):
        cash.mint(exchange, 0, sender=central_bank)


def test_burn__retires_own_cash(cash, central_bank):
    cash.mint(central_bank, 500, sender=central_bank)
    receipt = cash.burn(200, sender=central_bank)
    assert cash.balanceOf(central_bank) == 300
    assert receipt.events.filter(cash.CashRetired) == [cash.CashRetired(central_bank, 200)]


def test_decimals_are_configurable_and_bounded(project, accounts, system):
    # A deployer used nowhere else: ape caches contract types by address, and an
    # address reused across snapshot reverts would decode the revert with the
    # wrong ABI.
    deployer = accounts[18]
    six = project.SettlementCash.deploy("C", "C", 6, system.manager, sender=deployer)
    assert six.decimals() == 6
    with ape.reverts(project.SettlementCash.SettlementCashInvalidDecimals, decimals=19):
        project.SettlementCash.deploy("C", "C", 19, system.manager, sender=deployer)
