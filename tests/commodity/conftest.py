"""One commodity world for the module's tests: gold priced in US dollars, converted
into the peg currency by an FX fixing, proven by M-of-N attestations.

- ``admin`` (a fresh impersonated account) is the AccessManager's admin, without
  delay: it stands for every restricted caller (governor, commodity office,
  custodian) unless a test says otherwise; the token holds the issuer role at the
  program ceilings;
- ``xau`` (MockAggregator, 8 decimals): gold in USD per troy ounce; ``fx``
  (MockAggregator, 8 decimals): peg currency per USD; ``gold_price``: the
  FxConvertedFeed of both (24-hour FX heartbeat, 72 hours while the market is
  closed, a 24-hour lag, closed Friday 21:00 to Sunday 23:00 UTC, 5% closed
  haircut, rates within [50, 2000]);
- ``gold``: the CommodityToken (3 decimals: bar lists give fine weight to 0.001
  oz), class METALS with a ceiling of 100 billion; ``gold_value``: its
  AttestedValueFeed;
- attesters: three test accounts with keys (accounts 10, 11, 12), two must sign;
- the custodian VAULT-CO speaks through ``admin`` (its registered account).

Every test starts at T0, a Wednesday noon in 2041, with both feeds fresh (the FX
feed's round 1, two days old, and round 2, an hour old, both at 280).
"""

from __future__ import annotations

import secrets
from types import SimpleNamespace

import ape
import pytest
from eth_utils import keccak, to_checksum_address

from sovereign.attest import Lot, signed, statement
from sovereign.roles import Role
from sovereign.units import text_to_bytes32

T0 = 2251627200  # Wednesday 2041-05-08 12:00 UTC
HOUR, DAY = 3_600, 86_400
UNIT = 1_000  # one troy ounce (3 decimals)
XAU_USD = 2_400 * 10**8  # 2,400.00 USD per ounce (8 decimals)
PKR_USD = 280 * 10**8  # 280.00 per USD (8 decimals)
WAD = 10**18
ISSUER_ROLE = Role.PROGRAM_ISSUER
METALS = text_to_bytes32("METALS")
CEILING = 100_000_000_000 * WAD  # 100 billion in the peg currency
MIN_RATE, MAX_RATE = 150 * WAD, 1_000 * WAD
CLOSED_FROM = 4 * DAY + 21 * HOUR  # Friday 21:00 UTC, from Monday 00:00
CLOSED_FOR = 50 * HOUR  # to Sunday 23:00 UTC


def at(timestamp: int) -> None:
    ape.chain.pending_timestamp = timestamp


def mine(timestamp: int) -> None:
    ape.chain.mine(1, timestamp=timestamp)


def fresh(accounts):
    address = to_checksum_address(secrets.token_bytes(20))
    ape.chain.set_balance(address, 10**24)
    return accounts.impersonate_account(address)


def bars(count: int, start: int = 1, weight: int = 400_125) -> list[Lot]:
    """London Good Delivery bars of about 400 oz (weights in 0.001 oz)."""
    return [
        Lot(f"BAR-{i:05d}", "VAULT-CO", "LONDON", "999.9", weight + i)
        for i in range(start, start + count)
    ]


@pytest.fixture(scope="module")
def world(project, accounts):
    admin = fresh(accounts)
    manager = admin.deploy(project.SovereignAccessManager, admin)
    registry = admin.deploy(project.ReserveAttestations, manager)
    ceilings = admin.deploy(project.ProgramCeilings, manager)
    at(T0 - HOUR)
    xau = admin.deploy(project.MockAggregator, 8)
    fx = admin.deploy(project.MockAggregator, 8)
    xau.set(XAU_USD, T0 - HOUR, sender=admin)
    fx.set(PKR_USD, T0 - 2 * DAY, sender=admin)  # round 1: in force well before the lag window
    gold_price = admin.deploy(
        project.FxConvertedFeed, xau, fx, DAY, 3 * DAY, DAY, CLOSED_FROM, CLOSED_FOR, 500,
        MIN_RATE, MAX_RATE, "XAU / PKR",
    )  # fmt: skip
    gold = admin.deploy(
        project.CommodityToken, "Sovereign Gold", "SGLD", "troy ounce of fine gold", 3, METALS,
        manager, registry, ceilings, gold_price, DAY,
    )  # fmt: skip
    gold_value = admin.deploy(project.AttestedValueFeed, gold)
    methods = ceilings.contract_type.mutable_methods
    selectors = [keccak(text=methods[n].selector)[:4] for n in ("recordIssue",)]
    manager.setTargetFunctionRole(ceilings, selectors, ISSUER_ROLE, sender=admin)
    manager.grantRole(ISSUER_ROLE, gold, 0, sender=admin)
    ceilings.setCeiling(METALS, CEILING, sender=admin)
    attesters = [accounts[10], accounts[11], accounts[12]]
    registry.setAttesters(gold, [a.address for a in attesters], 2, sender=admin)
    gold.setCustodianAccount(text_to_bytes32("VAULT-CO"), admin, sender=admin)
    return SimpleNamespace(
        admin=admin, manager=manager, registry=registry, ceilings=ceilings, xau=xau, fx=fx,
        gold_price=gold_price, gold=gold, gold_value=gold_value, attesters=attesters,
        holder=fresh(accounts), other=fresh(accounts), mallory=fresh(accounts),
    )  # fmt: skip


@pytest.fixture
def w(world):
    """The world at T0 with fresh feeds (each test's chain state is reverted after it)."""
    at(T0 - 2)
    world.xau.set(XAU_USD, T0 - 2, sender=world.admin)
    world.fx.set(PKR_USD, T0 - HOUR, sender=world.admin)  # the morning fixing, unchanged
    at(T0)  # the test's first transaction runs at T0
    return world


def attest(w, lots, *, nonce=None, as_of=None, expires_at=None, signers=None, total=None):
    """Sign (two of three attesters by default) and submit a statement of ``lots``."""
    nonce = w.registry.current(w.gold)[5] + 1 if nonce is None else nonce
    head = ape.chain.blocks.head.timestamp  # as of the last block: later than any before
    s = statement(w.gold.address, lots, nonce, head if as_of is None else as_of,
                  head + 30 * DAY if expires_at is None else expires_at)  # fmt: skip
    if total is not None:
        s = type(s)(**{**s.__dict__, "total_quantity": total})
    who, sigs = signed(w.registry, s, signers or w.attesters[:2])
    w.registry.submit(s.as_struct(), who, sigs, sender=w.other)
    return s
