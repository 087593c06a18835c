"""Reserve: the collateral-ratio check, feeds, instruction ids, burn, redeem,
collateral withdrawal, participants and governance bounds."""

from decimal import Decimal

import ape
import pytest

from sovereign.units import WAD, wad
from tests.utils import ref, travel
from tests.utils.constants import DAY

MIN_RATIO = wad("1.02")


def counted_value(reserve, bond):
    """Independent model of the bond's counted value: balance x 1.00 x 98%."""
    return bond.balanceOf(reserve) * 9_800 // 10_000


# ------------------------------------------------------------------ ratio boundary


def test_mint__exactly_at_minimum_ratio__passes(system, reserve, coin, bond, minter, exchange):
    value = counted_value(reserve, bond)
    assert reserve.collateralValue() == value
    cap = value * WAD // MIN_RATIO  # 980,000 SSHL exactly
    receipt = reserve.mint(exchange, cap, ref("M-1"), sender=minter)
    assert coin.balanceOf(exchange) == cap
    assert reserve.collateralRatio() == MIN_RATIO
    assert reserve.maxMintable() == 0
    assert receipt.events.filter(reserve.Minted) == [
        reserve.Minted(ref("M-1"), minter, exchange, cap, MIN_RATIO)
    ]


def test_mint__one_unit_past_minimum__reverts_with_numbers(system, reserve, bond, minter, exchange):
    value = counted_value(reserve, bond)
    too_much = value * WAD // MIN_RATIO + 1
    with ape.reverts(
        reserve.ReserveCollateralRatioTooLow,
        ratioWad=value * WAD // too_much,
        minimumWad=MIN_RATIO,
        collateralValueWad=value,
        supplyAfter=too_much,
    ):
        reserve.mint(exchange, too_much, ref("M-1"), sender=minter)


def test_mint__counts_existing_supply(minted, reserve, bond, coin, minter, exchange):
    room = counted_value(reserve, bond) * WAD // MIN_RATIO - coin.totalSupply()
    assert reserve.maxMintable() == room
    reserve.mint(exchange, room, ref("M-2"), sender=minter)
    with ape.reverts(reserve.ReserveCollateralRatioTooLow):
        reserve.mint(exchange, 1, ref("M-3"), sender=minter)


def test_collateral_ratio__no_supply__is_max(system, reserve):
    assert reserve.collateralRatio() == 2**256 - 1


# ------------------------------------------------------------------ feeds


def test_mint__stale_feed__counts_zero_while_redeem_and_burn_go_on(
    minted, reserve, coin, cash, bond, minter, burner, exchange
):
    travel(DAY + 1)
    assert reserve.collateralValue() == 0  # the bond's price is stale: it counts nothing
    supply = coin.totalSupply()
    with ape.reverts(
        reserve.ReserveCollateralRatioTooLow,
        ratioWad=0,
        minimumWad=MIN_RATIO,
        collateralValueWad=0,
        supplyAfter=supply + WAD,
    ):
        reserve.mint(exchange, WAD, ref("M-STALE"), sender=minter)
    reserve.redeem(1_000 * WAD, ref("R-STALE"), sender=exchange)
    assert cash.balanceOf(exchange) == 1_000 * 10**6
    coin.transfer(burner, 10 * WAD, sender=exchange)
    reserve.burn(10 * WAD, ref("B-STALE"), sender=burner)
    assert coin.balanceOf(burner) == 0


def test_dust_of_an_unpriced_asset__never_halts_issuance(
    system, reserve, bond, minter, exchange, mallory, new_asset
):
    """The review's case: 1 wei of a listed asset whose feed never reported stopped every
    mint. Now such an asset counts zero and the valuation never reverts: an outsider's dust
    changes nothing, and a stale or invalid price still never counts as value."""
    token, _ = new_asset("OIL")
    before = (reserve.collateralValue(), reserve.maxMintable())
    token.mint(mallory, 1, sender=mallory)  # MockERC20: anyone mints
    token.transfer(reserve, 1, sender=mallory)
    assert (reserve.collateralValue(), reserve.maxMintable()) == before
    balance, answer, updated, usable, counted = reserve.assetStatus(token)
    assert (balance, answer, updated, usable, counted) == (1, 0, 0, False, 0)
    reserve.mint(exchange, WAD, ref("M-1"), sender=minter)


@pytest.fixture
def new_asset(project, deployer, gov, reserve, refresh):
    """List a fresh 18-decimal token with a mock feed (10% haircut) through the
    governor's delay, then re-report the bond that the delay made stale."""

    def make(symbol: str, balance: int = 0):
        token = project.MockERC20.deploy(symbol, symbol, 18, sender=deployer)
        feed = project.MockAggregator.deploy(8, sender=deployer)
        gov(reserve, "setCollateral", token, feed, DAY, 1_000, 10_000)
        refresh()
        if balance:
            token.mint(reserve, balance, sender=deployer)
        return token, feed

    return make


@pytest.mark.parametrize("answer", [0, -1, -(10**8), 2**128])
def test_zero_negative_or_absurd_price__counts_zero(
    system, deployer, reserve, minter, exchange, answer, new_asset
):
    before = reserve.collateralValue()
    token, feed = new_asset("GLD", 1_000 * WAD)
    feed.set(answer, ape.chain.pending_timestamp - 1, sender=deployer)
    assert reserve.collateralValue() == before
    assert reserve.assetStatus(token).usable is False
    assert reserve.assetStatus(token).haircutValueWad == 0
    reserve.mint(exchange, WAD, ref("M-1"), sender=minter)  # the bond still backs it


def test_feed_timestamp_in_future__counts_zero(system, deployer, reserve, new_asset):
    before = reserve.collateralValue()
    token, feed = new_asset("GAS", 1_000 * WAD)
    feed.set(10**8, ape.chain.pending_timestamp + 3_600, sender=deployer)
    assert reserve.collateralValue() == before
    assert reserve.assetStatus(token).usable is False


def test_empty_asset__stale_feed__does_not_block(system, reserve, minter, exchange, new_asset):
    """An asset with no balance contributes nothing, so its feed is not read."""
    new_asset("CU")
    reserve.mint(exchange, WAD, ref("M-1"), sender=minter)


@pytest.mark.parametrize("asset_decimals", [6, 8, 18])
@pytest.mark.parametrize("feed_decimals", [6, 8, 18])
def test_valuation__asset_and_feed_decimals(
    project, deployer, gov, system, reserve, asset_decimals, feed_decimals
):
    token = project.MockERC20.deploy("T", "T", asset_decimals, sender=deployer)
    feed = project.MockAggregator.deploy(feed_decimals, sender=deployer)
    gov(reserve, "setCollateral", token, feed, DAY, 250, 10_000)
    # 1,234.5678 tokens at 0.987654 each
    balance = 12_345_678 * 10**asset_decimals // 10**4
    price = 987_654 * 10**feed_decimals // 10**6
    token.mint(reserve, balance, sender=deployer)
    feed.set(price, ape.chain.pending_timestamp - 1, sender=deployer)
    system.feeds["SB30"].report(10**8, sender=system.holders.oracle_reporter)
    # Independent model in Decimal: value = balance x price x (1 - 2.5%), rounded down to a wad.
    exact = (Decimal(balance) / 10**asset_decimals) * (Decimal(price) / 10**feed_decimals)
    expected = int(exact * WAD) * 9_750 // 10_000
    *_, counted = reserve.assetStatus(token)
    assert counted == expected


def test_valuation__feed_decimals_read_at_every_valuation(project, deployer, gov, system, reserve):
    """A feed that changes its decimals (a proxy re-pointed) is not mispriced."""
    token = project.MockERC20.deploy("T", "T", 18, sender=deployer)
    feed = project.MockAggregator.deploy(8, sender=deployer)
    gov(reserve, "setCollateral", token, feed, DAY, 0, 10_000)
    token.mint(reserve, WAD, sender=deployer)
    feed.set(2 * 10**8, ape.chain.pending_timestamp - 1, sender=deployer)
    assert reserve.assetStatus(token).haircutValueWad == 2 * WAD
    feed.setDecimals(18, sender=deployer)
    feed.set(2 * 10**18, ape.chain.pending_timestamp - 1, sender=deployer)
    assert reserve.assetStatus(token).haircutValueWad == 2 * WAD


def test_concentration_cap__bounds_an_assets_share_of_what_is_counted(
    project, deployer, gov, system, reserve, bond, bond_feed, reserve_manager
):
    """The review's case: 900 of a bond capped at 50% beside 100 of cash counted 600, of
    which the bond was 500 (83%), because the cap was applied to the total before capping.
    Now the bond counts at most half of the counted total: 100 + 100 = 200."""
    gold = project.MockERC20.deploy("Gold", "GLD", 18, sender=deployer)  # the '100 of cash'
    feed = project.MockAggregator.deploy(8, sender=deployer)
    gov(reserve, "setCollateral", gold, feed, DAY, 0, 10_000)
    gov(reserve, "setCollateral", bond, bond_feed, DAY, 0, 5_000)
    bond_feed.report(10**8, sender=system.holders.oracle_reporter)
    # No supply yet, so the reserve manager may take the rest out: 900 bonds stay.
    reserve.withdrawCollateral(
        bond, deployer, bond.balanceOf(reserve) - 900 * WAD, sender=reserve_manager
    )
    gold.mint(reserve, 100 * WAD, sender=deployer)
    feed.set(10**8, ape.chain.pending_timestamp - 1, sender=deployer)
    assets, haircut, counted, total = reserve.collateralBreakdown()
    by_asset = dict(zip(assets, zip(haircut, counted, strict=True), strict=True))
    assert total == reserve.collateralValue() == 200 * WAD
    assert by_asset[bond.address] == (900 * WAD, 100 * WAD)
    assert by_asset[gold.address] == (100 * WAD, 100 * WAD)


@pytest.mark.parametrize("second_cap", [4_000, 5_000])
def test_concentration_cap__each_round_compares_against_its_starting_split(
    project, deployer, gov, system, reserve, bond, bond_feed, reserve_manager, second_cap
):
    """600 / 300 / 100 capped at 50% / 40% (or 50%) / 100%: the bond is capped (300 <= 40% of
    1,000 leaves the second uncapped), so C = 400 / (1 - 50%) = 800, the bond 400. Comparing
    later assets of a round with the new U but the old K counted 1,000 (the second asset above
    its own value), or divided by zero with two 50% caps (found by the invariant review)."""
    tokens = []
    for symbol, cap in (("GLD", second_cap), ("CSH", 10_000)):
        token = project.MockERC20.deploy(symbol, symbol, 18, sender=deployer)
        feed = project.MockAggregator.deploy(8, sender=deployer)
        gov(reserve, "setCollateral", token, feed, DAY, 0, cap)
        tokens.append((token, feed))
    gov(reserve, "setCollateral", bond, bond_feed, DAY, 0, 5_000)
    bond_feed.report(10**8, sender=system.holders.oracle_reporter)
    reserve.withdrawCollateral(
        bond, deployer, bond.balanceOf(reserve) - 600 * WAD, sender=reserve_manager
    )
    for (token, feed), amount in zip(tokens, (300, 100), strict=True):
        token.mint(reserve, amount * WAD, sender=deployer)
        feed.set(10**8, ape.chain.pending_timestamp - 1, sender=deployer)
    assets, _, counted, total = reserve.collateralBreakdown()
    by_asset = dict(zip(assets, counted, strict=True))
    assert total == reserve.collateralValue() == 800 * WAD
    assert by_asset[bond.address] == 400 * WAD
    assert [by_asset[t.address] for t, _ in tokens] == [300 * WAD, 100 * WAD]


def test_concentration_cap__a_lone_capped_asset_counts_nothing(
    gov, system, reserve, bond, bond_feed
):
    """A 50% cap cannot be met by an asset alone: C = min(v, C/2) has only C = 0."""
    gov(reserve, "setCollateral", bond, bond_feed, DAY, 200, 5_000)
    bond_feed.report(10**8, sender=system.holders.oracle_reporter)
    assert reserve.collateralValue() == 0


# ------------------------------------------------ instructions, allowance, participants


def test_mint__instruction_replay__reverts(system, reserve, minter, exchange):
    reserve.mint(exchange, WAD, ref("M-1"), sender=minter)
    assert reserve.instructionExecuted(ref("M-1"))
    with ape.reverts(reserve.ReserveInstructionAlreadyExecuted, instructionId=ref("M-1")):
        reserve.mint(exchange, WAD, ref("M-1"), sender=minter)


def test_instruction_terms__recorded_per_id__equal_the_operators_hash(
    minted, reserve, coin, minter, burner, exchange
):
    """The reserve records each id's terms (action, party, amount); the CLI's own hash of
    a row (sovereign.batch.row_terms) is the same, so a reused id with other terms is
    told apart from one already done by a single read."""
    from sovereign.batch import BatchRow, row_terms

    coin.transfer(burner, 2 * WAD, sender=exchange)
    reserve.mint(exchange, 3 * WAD, ref("T-MINT"), sender=minter)
    reserve.burn(2 * WAD, ref("T-BURN"), sender=burner)
    held = reserve.instructionTerms([ref("T-MINT"), ref("T-BURN"), ref("T-NEVER")])
    mint_row = BatchRow(2, "T-MINT", "mint", exchange.address, 3 * WAD)
    burn_row = BatchRow(3, "T-BURN", "burn", None, 2 * WAD)
    assert int.from_bytes(ape.convert(held[2], bytes), "big") == 0  # never executed
    assert ape.convert(held[0], bytes).hex() == row_terms(mint_row, burner.address)[2:]
    assert ape.convert(held[1], bytes).hex() == row_terms(burn_row, burner.address)[2:]
    assert reserve.instructionTermsHash(1, exchange, 3 * WAD) == held[0]
    other = BatchRow(2, "T-MINT", "mint", exchange.address, 3 * WAD + 1)
    assert ape.convert(held[0], bytes).hex() != row_terms(other, burner.address)[2:]
    assert reserve.instructionExecuted(ref("T-MINT")) and not reserve.instructionExecuted(
        ref("T-NEVER")
    )


def test_mint__zero_id_or_amount__reverts(system, reserve, minter, exchange):
    with ape.reverts(reserve.ReserveInvalidInstructionId):
        reserve.mint(exchange, WAD, b"\0" * 32, sender=minter)
    with ape.reverts(reserve.ReserveZeroAmount):
        reserve.mint(exchange, 0, ref("M-1"), sender=minter)


def test_mint__beyond_minter_allowance__reverts(system, gov, reserve, minter, exchange, refresh):
    gov(reserve, "setMinterAllowance", minter, 5 * WAD)
    refresh()
    reserve.mint(exchange, 3 * WAD, ref("M-1"), sender=minter)
    assert reserve.minterAllowance(minter) == 2 * WAD
    with ape.reverts(
        reserve.ReserveMinterAllowanceExceeded,
        minter=minter.address,
        amount=3 * WAD,
        allowance=2 * WAD,
    ):
        reserve.mint(exchange, 3 * WAD, ref("M-2"), sender=minter)


def test_mint__to_non_participant__reverts(system, reserve, minter, alice):
    with ape.reverts(reserve.ReserveNotParticipant, account=alice.address):
        reserve.mint(alice, WAD, ref("M-1"), sender=minter)


def test_participants__register_and_remove(system, reserve, registrar, alice, minter):
    receipt = reserve.registerParticipant(alice, ref("LIC-9"), sender=registrar)
    assert receipt.events == [reserve.ParticipantRegistered(alice, ref("LIC-9"))]
    with ape.reverts(reserve.ReserveAlreadyParticipant, account=alice.address):
        reserve.registerParticipant(alice, ref("LIC-9"), sender=registrar)
    reserve.mint(alice, WAD, ref("M-1"), sender=minter)
    receipt = reserve.removeParticipant(alice, ref("AML-REVOKED"), sender=registrar)
    assert receipt.events == [reserve.ParticipantRemoved(alice, ref("AML-REVOKED"))]
    with ape.reverts(reserve.ReserveNotParticipant):
        reserve.redeem(WAD, ref("R-1"), sender=alice)


# ------------------------------------------------------------------ burn and redeem


def test_burn__treasury_coins(minted, reserve, coin, burner, exchange):
    coin.transfer(burner, 100 * WAD, sender=exchange)
    supply = coin.totalSupply()
    receipt = reserve.burn(100 * WAD, ref("B-1"), sender=burner)
    assert coin.totalSupply() == supply - 100 * WAD
    assert receipt.events.filter(reserve.Burned) == [reserve.Burned(ref("B-1"), burner, 100 * WAD)]
    with ape.reverts(reserve.ReserveInstructionAlreadyExecuted):
        reserve.burn(1, ref("B-1"), sender=burner)


def test_redeem__pays_cash_at_par(minted, reserve, coin, cash, exchange):
    receipt = reserve.redeem(2_500 * WAD, ref("R-1"), sender=exchange)
    assert cash.balanceOf(exchange) == 2_500 * 10**6
    assert coin.balanceOf(exchange) == 497_500 * WAD
    assert receipt.events.filter(reserve.Redeemed) == [
        reserve.Redeemed(ref("R-1"), exchange, 2_500 * WAD, 2_500 * 10**6, 0)
    ]
    assert reserve.redemptionExecuted(exchange, ref("R-1"))
    with ape.reverts(reserve.ReserveInstructionAlreadyExecuted):
        reserve.redeem(WAD, ref("R-1"), sender=exchange)


def test_redeem__fee_rounds_up_for_the_reserve(minted, gov, reserve, cash, exchange):
    gov(reserve, "setRedemptionFee", 25)  # 0.25%
    reserve.redeem(1_001 * WAD, ref("R-1"), sender=exchange)
    fee = -(-1_001 * 10**6 * 25 // 10_000)  # ceil
    assert cash.balanceOf(exchange) == 1_001 * 10**6 - fee


def test_redeem__one_cash_unit_under_a_fee__refused_not_paid_zero(
    minted, gov, reserve, coin, cash, exchange
):
    """The review's case: with a fee, redeeming exactly one cash unit burned the coins and
    paid 0 (the fee, rounded up, took the unit). Now it is refused; two units pay one."""
    gov(reserve, "setRedemptionFee", 25)
    unit = 10**12  # stablecoin units per cash unit (6-decimal cash)
    before = coin.balanceOf(exchange)
    with ape.reverts(reserve.ReserveRedemptionPaysNothing, amount=unit, fee=1):
        reserve.redeem(unit, ref("R-1"), sender=exchange)
    assert coin.balanceOf(exchange) == before
    reserve.redeem(2 * unit, ref("R-2"), sender=exchange)
    assert cash.balanceOf(exchange) == 1


def test_redeem__dust_below_cash_unit_stays_with_holder(minted, reserve, coin, exchange):
    before = coin.balanceOf(exchange)
    reserve.redeem(WAD + 123, ref("R-1"), sender=exchange)
    assert coin.balanceOf(exchange) == before - WAD
    with ape.reverts(reserve.ReserveAmountBelowCashUnit, amount=123, unit=10**12):
        reserve.redeem(123, ref("R-2"), sender=exchange)


def test_redeem__cash_short__reverts_naming_what_is_available(
    minted, reserve, coin, cash, exchange
):
    with ape.reverts(
        reserve.ReserveInsufficientCash, required=500_000 * 10**6 + 10**6, available=500_000 * 10**6
    ):
        reserve.redeem(500_001 * WAD, ref("R-1"), sender=exchange)
    assert coin.balanceOf(exchange) == 500_000 * WAD  # nothing burned


def test_redeem__ids_are_per_participant(minted, reserve, registrar, minter, alice, exchange):
    reserve.registerParticipant(alice, ref("LIC-2"), sender=registrar)
    reserve.mint(alice, 10 * WAD, ref("M-ALICE"), sender=minter)
    reserve.redeem(WAD, ref("R-1"), sender=exchange)
    reserve.redeem(WAD, ref("R-1"), sender=alice)  # another participant's namespace


def test_instruction_namespaces__a_burn_cannot_use_up_a_redemption_id(
    minted, reserve, coin, burner, exchange
):
    """The review's case: redemption keys keccak256(abi.encode(participant, id)) lived in the
    mapping of raw mint/burn ids, so a burn (or mint) using that hash as its id made the
    participant's redemption id unusable before the participant ever used it."""
    from eth_abi import encode
    from eth_utils import keccak

    key = keccak(encode(["address", "bytes32"], [exchange.address, ref("R-7")]))
    coin.transfer(burner, WAD, sender=exchange)
    reserve.burn(WAD, key, sender=burner)
    assert reserve.instructionExecuted(key)
    assert not reserve.redemptionExecuted(exchange, ref("R-7"))
    reserve.redeem(WAD, ref("R-7"), sender=exchange)
    assert reserve.redemptionExecuted(exchange, ref("R-7"))
    assert not reserve.instructionExecuted(ref("R-7"))


# ------------------------------------------------------------------ collateral withdrawal


def test_withdraw_collateral__within_ratio(minted, reserve, bond, reserve_manager, bob):
    room = reserve.collateralValue() - minted.stablecoin.totalSupply() * MIN_RATIO // WAD
    # The bond counts at 98%: withdrawable tokens = room / 0.98 (rounded down).
    tokens = room * 10_000 // 9_800
    receipt = reserve.withdrawCollateral(bond, bob, tokens, sender=reserve_manager)
    assert bond.balanceOf(bob) == tokens
    assert receipt.events.filter(reserve.CollateralWithdrawn) == [
        reserve.CollateralWithdrawn(bond, bob, tokens)
    ]
    with ape.reverts(reserve.ReserveCollateralRatioTooLow):
        reserve.withdrawCollateral(bond, bob, 10**18, sender=reserve_manager)


def test_withdraw_collateral__stale_feed__counts_zero_so_refused(
    minted, reserve, bond, reserve_manager, bob
):
    travel(DAY + 1)
    with ape.reverts(reserve.ReserveCollateralRatioTooLow, collateralValueWad=0):
        reserve.withdrawCollateral(bond, bob, 1, sender=reserve_manager)


# ------------------------------------------------------------------ governance bounds


@pytest.mark.parametrize(
    "method,value,lo,hi",
    [
        ("setMinCollateralRatio", wad("0.99"), WAD, 3 * WAD),
        ("setMinCollateralRatio", 3 * WAD + 1, WAD, 3 * WAD),
        ("setRedemptionFee", 101, 0, 100),
    ],
)
def test_parameter_out_of_bounds__reverts(system, gov, reserve, method, value, lo, hi):
    with ape.reverts(reserve.ReserveParameterOutOfBounds, value=value, min=lo, max=hi):
        gov(reserve, method, value)


@pytest.mark.parametrize(
    "heartbeat,haircut,cap,name",
    [
        (59, 0, 10_000, "heartbeat"),
        (7 * DAY + 1, 0, 10_000, "heartbeat"),
        (3_600, 9_001, 10_000, "haircutBps"),
        (3_600, 0, 99, "concentrationCapBps"),
        (3_600, 0, 10_001, "concentrationCapBps"),
    ],
)
def test_set_collateral__out_of_bounds__reverts(
    system, gov, reserve, bond, bond_feed, heartbeat, haircut, cap, name
):
    with ape.reverts(reserve.ReserveParameterOutOfBounds):
        gov(reserve, "setCollateral", bond, bond_feed, heartbeat, haircut, cap)


def test_set_min_ratio__within_bounds__emits(system, gov, reserve):
    receipt = gov(reserve, "setMinCollateralRatio", wad("1.10"))
    assert reserve.minCollateralRatioWad() == wad("1.10")
    assert receipt.events.filter(reserve.MinCollateralRatioSet) == [
        reserve.MinCollateralRatioSet(MIN_RATIO, wad("1.10"))
    ]


def test_remove_collateral__uncounts_it(system, gov, reserve, bond, refresh):
    gov(reserve, "removeCollateral", bond)
    refresh()
    assert bond.address not in reserve.collateralAssets()
    assert reserve.collateralValue() == 0
    with ape.reverts(reserve.ReserveUnknownCollateral):
        gov(reserve, "removeCollateral", bond)


def test_collateral_list_is_bounded(project, deployer, gov, system, reserve):
    for i in range(20 - len(reserve.collateralAssets())):
        token = project.MockERC20.deploy("T", f"T{i}", 18, sender=deployer)
        gov(reserve, "setCollateral", token, system.feeds["SB30"], DAY, 0, 10_000)
    token = project.MockERC20.deploy("T", "T20", 18, sender=deployer)
    with ape.reverts(reserve.ReserveTooManyAssets, max=20):
        gov(reserve, "setCollateral", token, system.feeds["SB30"], DAY, 0, 10_000)
