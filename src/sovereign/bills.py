"""T-bill operations' arithmetic: a new series' terms and address, what a series
still needs to repay at face, and where a matured holding sits in the vault."""

from __future__ import annotations

import rlp
from ape import chain
from eth_utils import keccak, to_canonical_address, to_checksum_address

from sovereign import artifacts
from sovereign.inputs import InputError

DAY = 86_400


def series(registry, code: str):
    address = registry.seriesByCode(code)
    if int(address, 16) == 0:
        raise InputError(f"no T-bill series with code {code!r}")
    return artifacts.at("TBillSeries", address)


def next_series_address(registry) -> str:
    """The address the registry's next ``createSeries`` deploys to (CREATE: the
    registry's address and its account nonce)."""
    nonce = chain.provider.web3.eth.get_transaction_count(registry.address)
    encoded = rlp.encode([to_canonical_address(registry.address), nonce])
    return to_checksum_address(keccak(encoded)[12:])


def new_series_terms(code: str, cash_decimals: int, days: int) -> tuple:
    """``createSeries`` arguments: face 1.00 cash per bill, issued now, maturing in ``days``."""
    now = chain.pending_timestamp
    return (code, cash_decimals, 10**cash_decimals, now, now + days * DAY)


def missing_funding(bill) -> int:
    """Cash the pool lacks to repay every outstanding bill at face (0 when it has it)."""
    return max(int(bill.outstandingFace()) - int(bill.pool()), 0)


def matured_index(vault, bill) -> int | None:
    """The index ``redeemMatured`` takes for the vault's holding of ``bill``, counting the
    lots that mature by now and that ``redeemMatured`` moves first; None if there is none."""
    matured = [lot.series for lot in vault.maturedLots()]
    if bill.address in matured:
        return matured.index(bill.address)
    now = chain.pending_timestamp
    due = [lot.series for lot in vault.accruingLots() if int(lot.maturity) <= now]
    if bill.address in due:
        return len(matured) + due.index(bill.address)
    return None
