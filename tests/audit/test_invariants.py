"""Stateful invariant tests: hypothesis rule-based state machines drive the deployed
system on Anvil through random sequences of operations and check, after every step,
invariants against ghost state kept in Python.

``CoreMachine`` (stablecoin and reserve; the bond is the only collateral held) fires:
mints with instruction ids (new, replayed, zero; amounts a fraction of, exactly at, one
unit above and far above the ratio limit), redemptions (of one cash unit, too),
treasury burns, transfers, approve/permit + transferFrom (and a replayed permit
signature), freeze/unfreeze/seize, pause of each flag and unpause through the governor's
delay, redemption fee changes through it, oracle reports within and beyond the
deviation bound, multi-report price walks, report floods, forced reports (governor,
delayed) followed by a report, and time travel with or without a feed refresh (to the
exact edge of the heartbeat and of the deviation window, too). Invariants: balances sum
to the total supply (coin and cash); every balance, allowance, flag, the fee and the
feed (latest round) equal the ghost; frozen balances change only by seizure; every used
instruction id is recorded once, a replay reverts; every successful mint leaves
collateralValue() * 1e18 >= totalSupply * minimum ratio (read right after it);
collateralValue() never reverts and equals the Python valuation (the bond counts zero
while its feed is stale: a mint then fails only by the ratio,
ReserveCollateralRatioTooLow), falls only with a price report or the feed going stale,
and the supply exceeds value / minimum ratio only after such a fall (each entry is
counted by cause). Reports are predicted from the ghost of every round (answer,
updatedAt, forced): the answer must lie within maxDeviationBps of every answer read
back over the sliding deviationWindow (stopping after a round at or before its start,
a forced round or round 1), FeedDeviationTooLarge naming the farthest answer as anchor;
more than 32 rounds to read reverts FeedTooManyReports. A redemption the fee would take
whole reverts ReserveRedemptionPaysNothing.

``LadderMachine`` (T-bill vault; the reserve's only collateral is vault shares) fires:
series creation and auction purchases by the vault, repayment funding (in full, half,
one unit short; through fundRepayment, refused once in default with TBillPoolClosed, or
as a plain cash transfer), maturities and ends of the 3-day grace period (to the second,
and one second before), redemptions of matured lots (after a public sync or not: face
from a full pool, TBillRepaymentShort during the grace period of a short pool, at or
after its end the default recorded and pro rata paid, TBillNothingToPay for nothing),
recorded defaults (TBillInGracePeriod / TBillAlreadyDefaulted / TBillFullyFunded),
markdowns, deposits/mints/withdrawals/redemptions by allowlisted investors (and attempts
by others), a same-block deposit->redeem round trip, AML freezes, allowlist changes,
vault pauses, stablecoin mints against the vault shares. Invariants: totalAssets() (the
exit NAV) equals ``sovereign.ladder.LadderModel.nav`` and entryAssets() (the entry NAV)
equals ``LadderModel.entry_nav`` to the unit, entry >= exit; share, series and cash
balances sum to their supplies and equal the ghost; the vault holds exactly its
modelled lots of each series; frozen investors' shares never move; every deposit/mint
mints exactly the ERC-4626 amount at the entry NAV, every withdrawal/redemption burns
exactly the amount at the exit NAV; neither ever hands the actor more than it paid (or
its shares were worth) nor lowers the other holders' exit share value; a withdrawal
raises it by less than a unit, a deposit by the entry-exit gap the depositor pays plus
less than a unit of rounding; a round trip never gains; the reserve's collateral value
equals the NAV feed's valuation and falls only through a markdown or a maturity
passing with a short repayment pool (a purchase of a marked-down series is refused:
VaultSeriesMarkedDown; a default or the end of a grace period moves no value: the exit
NAV values a short pool pro rata from maturity on); under-collateralized entries are
counted by cause.

Every operation's outcome (success, or the exact custom error and its arguments) is
predicted from the ghost state first and compared with the chain; a revert must leave
every tracked balance unchanged (paused paths included).

What issue 10 changed in the predictions: the reserve counts an asset without a usable
price as zero instead of reverting (ReserveStalePrice / ReserveInvalidPrice are gone;
concentration caps by water-filling, the bond's cap being 100%), and refuses a
redemption that pays nothing; the oracle stub's deviation bound holds over a sliding
window with FeedTooManyReports and forced rounds as new references (the old rule
compared with the previous answer only); the governor holds its role with the 1-day
delay and the deployer holds no operating role (the set-up uses the role holders only),
and the guardian may cancel any scheduled operation (used to clear an execution that
reverted); T-bill series have a 3-day grace period (TBillRepaymentShort(owed,
available, graceEnd) during it, the default recorded at or after its end, pro rata
capped at face, TBillInGracePeriod / TBillAlreadyDefaulted / TBillFullyFunded /
TBillPoolClosed / TBillNothingToPay); the vault prices deposits and mints at the entry
NAV (entryAssets()), withdrawals and redemptions at the exit NAV (totalAssets()).

Isolation: every hypothesis example runs inside ``ape.chain.isolate()``, entered in the
machine's ``__init__`` and left in ``teardown()`` (hypothesis calls it even when a step
fails); each example first checks that the chain is back at the baseline (block number,
timestamp and state), and a leak is reported as such. ape 0.8.51's ``isolate()``
swallows any exception raised inside a ``with`` block, so it must never wrap assertions
in a ``with`` statement; here its ``__exit__`` only ever runs with no exception.

Speed: through ape a transaction costs ~100 ms and a revert ~200 ms (signing and sender
recovery in pure Python, revert decoding), which would put one quick run of these
machines past a minute. Set-up goes through ape and the conftest fixtures; the steps
use ``Chain`` (invariants/driver.py): a thin JSON-RPC client that preflights each call
with ``eth_call`` on the pending block (decoding the custom error when it reverts, as
ape's preflight does, so nothing is sent), sends it from Anvil's unlocked test account
when it passes, and reads state in one batched request per step. Anvil's blocks are one
second apart during the test (anvil_setBlockTimestampInterval), so every prediction
knows the timestamp its transaction will see.

Hypothesis favours the rules with the fewest arguments; ``mint_to_limit`` and
``to_next_maturity`` take none on purpose. A JSON summary per machine (examples, steps,
rules fired, call outcomes, under-collateralized states and their causes) is merged
under a file lock into ``reports/invariants-<profile>.json`` (xdist workers may run the
two machines at once).

Layout: tests/audit/invariants/ holds the JSON-RPC driver and run statistics
(driver.py), what both machines share (machine.py), ``CoreMachine`` (core_machine.py)
and ``LadderMachine`` (ladder_machine.py); this module sets each machine up from the
deployed system and runs it.
"""

from __future__ import annotations

from collections import Counter
from types import SimpleNamespace

import ape
import pytest
from hypothesis import settings
from hypothesis.stateful import run_state_machine_as_test

from sovereign.ladder import LadderModel, SeriesState
from sovereign.limits import GRACE_PERIOD
from sovereign.permit import permit_domain
from sovereign.units import WAD, text_to_bytes32
from tests.audit.invariants.core_machine import CORE_ACTORS, CoreMachine
from tests.audit.invariants.driver import Chain, Contract, Outcome, Stats, write_summary
from tests.audit.invariants.ladder_machine import INVESTORS, Bill, LadderMachine
from tests.audit.invariants.machine import Ctx
from tests.utils.constants import CASH, MAX


def _contract_types():
    return {
        name: getattr(ape.project, name).contract_type
        for name in (
            "SovereignStablecoin",
            "Reserve",
            "ReportedPriceFeed",
            "SettlementCash",
            "SovereignAccessManager",
            "TBillRegistry",
            "ProgramCeilings",
            "TBillSeries",
            "TBillVault",
            "VaultNavFeed",
            "MockERC20",
        )
    }


@pytest.fixture
def chain_driver(system):
    """The JSON-RPC driver, with one-second blocks for the duration of the test."""
    chain = Chain(ape.chain.provider.web3.provider, _contract_types())
    chain.rpc("anvil_setBlockTimestampInterval", 1)
    chain.rpc("evm_mine")
    try:
        yield chain
    finally:
        chain.rpc("anvil_removeBlockTimestampInterval")


def _handles(chain: Chain, system, bond) -> SimpleNamespace:
    return SimpleNamespace(
        coin=chain.contract(system.stablecoin.address, "SovereignStablecoin"),
        reserve=chain.contract(system.reserve.address, "Reserve"),
        feed=chain.contract(system.feeds["SB30"].address, "ReportedPriceFeed"),
        cash=chain.contract(system.cash.address, "SettlementCash"),
        manager=chain.contract(system.manager.address, "SovereignAccessManager"),
        registry=chain.contract(system.registry.address, "TBillRegistry"),
        vault=chain.contract(system.vault.address, "TBillVault"),
        nav_feed=chain.contract(system.vault_feed.address, "VaultNavFeed"),
        bond=chain.contract(bond.address, "MockERC20"),
    )


def _who(system, **named) -> SimpleNamespace:
    out = {name: acct.address for name, acct in named.items()}
    out.update(reserve=system.reserve.address, vault=system.vault.address)
    return SimpleNamespace(**out)


def _setup_send(chain: Chain, sender, contract: Contract, method: str, *args) -> Outcome:
    out = chain.send(sender.address, contract, method, *args)
    assert out.ok, f"set-up {method} reverted: {out.error}{out.args}"
    return out


def _run(machine_cls, ctx: Ctx) -> None:
    run_settings = settings(settings.default)
    stats = Stats(machine_cls.__name__, run_settings)
    machine_cls.ctx, machine_cls.stats = ctx, stats
    ctx.baseline = ctx.fingerprint()
    failed = True
    try:
        run_state_machine_as_test(machine_cls, settings=run_settings)
        failed = False
    except BaseException as exc:
        # A leak between examples also makes hypothesis see "flaky" data generation;
        # name the real cause.
        if stats.isolation_failures:
            raise AssertionError(
                f"examples are not isolated: {stats.isolation_failures[0]}"
            ) from exc
        raise
    finally:
        path = write_summary(stats.as_dict(ctx.chain, failed), machine_cls.__name__)
        print(f"\n{machine_cls.__name__}: {stats.examples} examples, {stats.steps} steps -> {path}")
    # The chain is back at the baseline after the last example, too.
    assert ctx.fingerprint() == ctx.baseline, "the last example was not rolled back"


def test_core_invariants(
    system,
    chain_driver,
    config,
    bond,
    minter,
    burner,
    guardian,
    compliance,
    reporter,
    governor,
    exchange,
    alice,
    bob,
    mallory,
):
    """CoreMachine: stablecoin and reserve (see the module doc)."""
    chain = chain_driver
    reserve = system.reserve
    c = _handles(chain, system, bond)
    # Set-up: supply near the cap (980,000 against 999,600 of haircut collateral at 102%),
    # so that a price fall of a few percent under-collateralizes the reserve; holders, and
    # a treasury (the burner) holding coins.
    setup_id = text_to_bytes32("INV-SETUP")
    reserve.mint(exchange, 940_000 * WAD, setup_id, sender=minter)
    for who, amount in ((alice, 50_000), (bob, 50_000), (mallory, 5_000), (burner, 50_000)):
        _setup_send(chain, exchange, c.coin, "transfer", who.address, amount * WAD)
    # The driver and ape agree on a revert (the replayed set-up id), and on its decoding.
    with ape.reverts(reserve.ReserveInstructionAlreadyExecuted, instructionId=setup_id):
        reserve.mint(exchange, 1, setup_id, sender=minter)
    replay = chain.send(minter.address, c.reserve, "mint", exchange.address, 1, setup_id)
    assert (replay.error, replay.args) == ("ReserveInstructionAlreadyExecuted", (setup_id,))

    who = _who(
        system,
        minter=minter,
        treasury=burner,
        guardian=guardian,
        compliance=compliance,
        reporter=reporter,
        governor=governor,
        exchange=exchange,
        alice=alice,
        bob=bob,
        mallory=mallory,
    )
    holders = CORE_ACTORS + ("reserve", "vault")
    cash_holders = ("reserve", "exchange", "alice")
    # The starting state, read in one batch (each ape view call costs ~25 ms).
    calls = {f"bal:{n}": (c.coin, "balanceOf", getattr(who, n)) for n in holders}
    calls.update({f"cash:{n}": (c.cash, "balanceOf", getattr(who, n)) for n in cash_holders})
    calls.update({f"nonce:{n}": (c.coin, "nonces", getattr(who, n)) for n in CORE_ACTORS})
    calls.update(
        supply=(c.coin, "totalSupply"),
        paused=(c.coin, "pausedFlags"),
        feed=(c.feed, "latestRoundData"),
        feed_decimals=(c.feed, "decimals"),
        max_deviation=(c.feed, "maxDeviationBps"),
        window=(c.feed, "deviationWindow"),
        max_reports=(c.feed, "MAX_REPORTS_PER_WINDOW"),
        config=(c.reserve, "collateralConfig", c.bond.address),
        breakdown=(c.reserve, "collateralBreakdown"),
        bonds=(c.bond, "balanceOf", c.reserve.address),
        min_ratio=(c.reserve, "minCollateralRatioWad"),
        allowance=(c.reserve, "minterAllowance", minter.address),
        fee=(c.reserve, "redemptionFeeBps"),
        cash_unit=(c.reserve, "cashUnit"),
    )
    r = chain.read(calls)
    latest, answer, _, updated_at, _ = r["feed"]
    _, heartbeat, haircut_bps, cap_bps, _, _ = r["config"]
    assert r["window"] == config.feed_deviation_window
    # Every round so far, for the read-back of report(): the set-up only reported (no
    # forceReport), so none is forced.
    rounds = chain.read({i: (c.feed, "getRoundData", i) for i in range(1, latest + 1)})
    rounds = [(rounds[i][1], rounds[i][3], False) for i in range(1, latest + 1)]
    assert rounds[-1][:2] == (answer, updated_at)
    # The bond is the only collateral held; the vault shares are listed beside it, held zero.
    assets, haircut_values, _, total = r["breakdown"]
    held = [a.lower() for a, v in zip(assets, haircut_values, strict=True) if v]
    assert held == [c.bond.address.lower()] and total == sum(haircut_values)
    ghost = {
        "holders": holders,
        "cash_holders": cash_holders,
        "bal": {n: r[f"bal:{n}"] for n in holders},
        "cash": {n: r[f"cash:{n}"] for n in cash_holders},
        "supply": r["supply"],
        "allow": {},
        "nonces": {n: r[f"nonce:{n}"] for n in CORE_ACTORS},
        "frozen": set(),
        "frozen_balance": {},
        "paused": r["paused"],
        "price": answer,
        "updated_at": updated_at,
        "rounds": rounds,
        "window": r["window"],
        "max_reports": r["max_reports"],
        "cap_bps": cap_bps,
        "heartbeat": heartbeat,
        "haircut_bps": haircut_bps,
        "feed_decimals": r["feed_decimals"],
        "max_deviation_bps": r["max_deviation"],
        "bond_balance": r["bonds"],
        "min_ratio": r["min_ratio"],
        "allowance": r["allowance"],
        "fee_bps": r["fee"],
        "cash_unit": r["cash_unit"],
        "used_ids": {setup_id},
        "executions": Counter({setup_id: 1}),
        "redeem_ids": set(),
        "coin_domain": permit_domain(system.stablecoin),
        "governor_delay": config.governor_delay,
    }
    assert ghost["supply"] == sum(ghost["bal"].values())
    fingerprint = {
        "supply": (c.coin, "totalSupply"),
        "alice": (c.coin, "balanceOf", alice.address),
        "paused": (c.coin, "pausedFlags"),
        "feed": (c.feed, "latestRoundData"),
        "exchange_cash": (c.cash, "balanceOf", exchange.address),
        "frozen": (c.coin, "frozen", alice.address),
        "nonce": (c.coin, "nonces", alice.address),
    }
    signers = {a.address: a for a in (exchange, alice, bob, mallory, burner)}
    ctx = Ctx(chain, c, who, signers, fingerprint, ghost=ghost)
    _run(CoreMachine, ctx)


def test_ladder_invariants(
    system,
    chain_driver,
    config,
    bond,
    accounts,
    investors,
    make_series,
    minter,
    guardian,
    compliance,
    reporter,
    governor,
    exchange,
    mallory,
    central_bank,
    vault_manager,
    reserve_manager,
    debt_office,
    deployer,
):
    """LadderMachine: the T-bill vault and the reserve's vault-share collateral."""
    chain = chain_driver
    alice, bob = investors
    reserve = system.reserve
    treasury = accounts[16]
    c = _handles(chain, system, bond)
    # Set-up (the conftest fixtures through ape, the rest through the driver): the reserve's
    # only collateral becomes vault shares bought by a treasury; investors hold shares; a
    # 3-bill ladder, the first bill repaid in full; coins minted against the shares.
    bonds = chain.call(c.bond, "balanceOf", c.reserve.address)
    _setup_send(
        chain,
        reserve_manager,
        c.reserve,
        "withdrawCollateral",
        c.bond.address,
        reserve_manager.address,
        bonds,
    )
    kyc = text_to_bytes32("KYC-TREASURY")
    _setup_send(chain, compliance, c.vault, "setAllowlisted", treasury.address, True, kyc)
    _setup_send(chain, central_bank, c.cash, "mint", treasury.address, 1_000_000 * CASH)
    _setup_send(chain, treasury, c.cash, "approve", c.vault.address, MAX)
    for who, owner, amount in (
        (treasury, reserve, 1_000_000),
        (alice, alice, 300_000),
        (bob, bob, 200_000),
    ):
        _setup_send(chain, who, c.vault, "deposit", amount * CASH, owner.address)
    model = LadderModel(scale=10 ** (18 - 6))
    model.deposit(chain.call(c.vault, "idleCash"))
    bills = []
    for code, days, price, amount in (
        ("L-2D", 2, 999_000, 300_000 * CASH),
        ("L-7D", 7, 998_000, 300_000 * CASH),
        ("L-30D", 30, 990_000, 400_000 * CASH),
    ):
        offered = 2_000_000 * CASH
        series = make_series(code, days, price=price, offered=offered)
        out = _setup_send(chain, vault_manager, c.vault, "buy", series.address, amount, price)
        model.buy(series.address, amount, price, SeriesState.read(series), out.timestamp)
        bill = Bill(
            code,
            chain.contract(series.address, "TBillSeries"),
            series.maturity(),
            price,
            offered - amount,
        )
        assert series.GRACE_PERIOD() == GRACE_PERIOD and series.graceEnd() == bill.grace_end
        # The treasury funds repayment pools through fundRepayment.
        _setup_send(chain, treasury, c.cash, "approve", series.address, MAX)
        bills.append(bill)
    _setup_send(chain, central_bank, c.cash, "mint", bills[0].contract.address, 300_000 * CASH)
    setup_id = text_to_bytes32("LADDER-SETUP")
    _setup_send(chain, minter, c.reserve, "mint", exchange.address, 700_000 * WAD, setup_id)
    who = _who(
        system,
        minter=minter,
        guardian=guardian,
        compliance=compliance,
        reporter=reporter,
        governor=governor,
        exchange=exchange,
        alice=alice,
        bob=bob,
        mallory=mallory,
        central_bank=central_bank,
        vault_manager=vault_manager,
        debt_office=debt_office,
        treasury=treasury,
        proceeds=deployer,
    )
    share_holders = ("alice", "bob", "mallory", "treasury", "reserve")
    cash_holders = (
        "alice",
        "bob",
        "mallory",
        "treasury",
        "reserve",
        "vault",
        "proceeds",
        "exchange",
    )
    # The starting state, read in one batch (each ape view call costs ~25 ms). Every example
    # starts by checking the NAV against the model (the invariants run after __init__).
    v = c.vault
    calls = {f"sh:{n}": (v, "balanceOf", getattr(who, n)) for n in share_holders}
    calls.update({f"listed:{n}": (v, "isAllowlisted", getattr(who, n)) for n in INVESTORS})
    calls.update(
        {f"allow:{n}": (c.cash, "allowance", getattr(who, n), v.address) for n in INVESTORS}
    )
    calls.update(
        shares=(v, "totalSupply"),
        paused=(v, "pausedFlags"),
        decimals=(v, "decimals"),
        cash_decimals=(c.cash, "decimals"),
        coin_supply=(c.coin, "totalSupply"),
        coin_exchange=(c.coin, "balanceOf", exchange.address),
        min_ratio=(c.reserve, "minCollateralRatioWad"),
        config=(c.reserve, "collateralConfig", v.address),
    )
    r = chain.read(calls)
    ghost = {
        "model": model,
        "bills": bills,
        "share_holders": share_holders,
        "cash_holders": cash_holders,
        "shares": {n: r[f"sh:{n}"] for n in share_holders},
        "share_supply": r["shares"],
        "listed": {n: r[f"listed:{n}"] for n in INVESTORS},
        "cash_allowance": {n: r[f"allow:{n}"] for n in INVESTORS},
        "frozen": set(),
        "frozen_shares": {},
        "vault_paused": r["paused"],
        "coin_supply": r["coin_supply"],
        "coin_exchange": r["coin_exchange"],
        "min_ratio": r["min_ratio"],
        "used_ids": {setup_id},
        "one_share": 10 ** r["decimals"],
        "share_decimals": r["decimals"],
        "nav_to_wad": 10 ** (18 - r["cash_decimals"]),
        "share_haircut_bps": r["config"][2],
        "governor_delay": config.governor_delay,
    }
    fingerprint = {
        "nav": (c.vault, "totalAssets"),
        "entry": (c.vault, "entryAssets"),
        "shares": (c.vault, "totalSupply"),
        "coin_supply": (c.coin, "totalSupply"),
        "series": (c.registry, "allSeries"),
        "paused": (c.vault, "pausedFlags"),
        "alice": (c.vault, "balanceOf", alice.address),
        "listed": (c.vault, "isAllowlisted", mallory.address),
    }
    ctx = Ctx(chain, c, who, {}, fingerprint, ghost=ghost)
    _run(LadderMachine, ctx)
