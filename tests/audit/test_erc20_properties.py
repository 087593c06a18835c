"""ERC-20 and EIP-2612 properties of the system's tokens, after crytic/properties
(contracts/ERC20: ERC20ExternalBasicProperties), written in Python with hypothesis and
run against the stablecoin (18 decimals, freeze and pause hooks), the settlement cash
(6 decimals, permit) and a T-bill series (6 decimals).

`tokens` (built once per module) gives each token to alice, bob and `TokenProbe`
(contracts/test), and has alice approve the probe for a finite amount and bob for an
infinite one. The probe performs a transfer, a transferFrom (as the spender) or two
approvals in one eth_call and reports balances, allowance and supply before and after:
nothing is committed, so examples need no isolation. Refusals are eth_calls of the
token from the real sender, asserted by error name and values (``assert_reverts``).
"""

from __future__ import annotations

from types import SimpleNamespace

import ape
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sovereign.permit import permit_domain, sign_permit
from sovereign.units import WAD
from tests.utils import ref
from tests.utils.audit import assert_reverts, deploy, isolated, new_series, read, send
from tests.utils.constants import CASH, MAX, ZERO

pytestmark = pytest.mark.xdist_group("audit-erc20")

TOKENS = ["stablecoin", "cash", "series"]
HELD = 10_000  # whole tokens each holder gets
FINITE = 5_000  # whole tokens alice lets the probe spend

FRACTION = st.integers(0, 1_000)  # per mille of what may be moved
EXTRA = st.integers(1, 10**30)


@pytest.fixture(scope="module", autouse=True)
def tokens(project, system, deployer, minter, exchange, central_bank, debt_office, alice, bob):
    probe = deploy(project.TokenProbe)
    coin, cash = system.stablecoin, system.cash
    send(system.reserve.mint, exchange, 3 * HELD * WAD, ref("E20-MINT"), sender=minter)
    for who in (alice, bob, probe):
        send(coin.transfer, who, HELD * WAD, sender=exchange)
        send(cash.mint, who, HELD * CASH, sender=central_bank)
    series = new_series(system, debt_office, "ERC20-91", 91)
    send(cash.mint, alice, 3 * HELD * CASH, sender=central_bank)
    send(cash.approve, series, MAX, sender=alice)
    send(series.buy, 3 * HELD * CASH, 980_000, sender=alice)
    send(series.transfer, bob, HELD * CASH, sender=alice)
    send(series.transfer, probe, HELD * CASH, sender=alice)
    by_name = {"stablecoin": coin, "cash": cash, "series": series}
    units = {"stablecoin": WAD, "cash": CASH, "series": CASH}
    for name, token in by_name.items():
        send(token.approve, probe, FINITE * units[name], sender=alice)
        send(token.approve, probe, MAX, sender=bob)
    return SimpleNamespace(probe=probe, by_name=by_name, units=units)


@pytest.fixture(params=TOKENS)
def token(request, tokens):
    return tokens.by_name[request.param]


@pytest.fixture
def held(tokens, token, alice, bob):
    """What the holders have before any example (examples commit nothing)."""
    probe = tokens.probe
    return SimpleNamespace(
        probe=read(token.balanceOf, probe),
        alice=read(token.balanceOf, alice),
        bob=read(token.balanceOf, bob),
        alice_allows=read(token.allowance, alice, probe),  # finite
        bob_allows=read(token.allowance, bob, probe),  # infinite
    )


# ====================================================================== accounting


def test_no_balance_exceeds_the_supply_and_zero_holds_nothing(tokens, token, alice, bob, mallory):
    """crytic userBalanceNotHigherThanSupply, userBalancesLessThanTotalSupply,
    zeroAddressBalance."""
    balances = [read(token.balanceOf, who) for who in (alice, bob, tokens.probe, mallory)]
    assert sum(balances) <= read(token.totalSupply)
    assert read(token.balanceOf, ZERO) == 0


@given(fraction=FRACTION, to=st.sampled_from(["bob", "self", "mallory"]))
def test_transfer_moves_exactly_the_amount_and_keeps_the_supply(
    tokens, token, held, bob, mallory, fraction, to
):
    """crytic test_ERC20external_transfer, selfTransfer, transferZeroAmount (fraction 0):
    the sender loses and the receiver gains exactly the amount, a self transfer changes
    nothing, the supply never moves, transfer returns true."""
    probe = tokens.probe
    receiver = {"bob": bob, "self": probe, "mallory": mallory}[to]
    amount = held.probe * fraction // 1_000
    ok, before, after, to_before, to_after, *_, supply_before, supply_after = read(
        probe.transfer, token, receiver, amount
    )
    assert ok is True
    assert supply_after == supply_before
    if to == "self":
        assert after == before == to_after
    else:
        assert (before - after, to_after - to_before) == (amount, amount)


@given(
    fraction=FRACTION,
    owner=st.sampled_from(["alice (finite)", "bob (infinite)"]),
    to=st.sampled_from(["mallory", "owner"]),
)
def test_transfer_from_moves_the_amount_and_spends_a_finite_allowance_only(
    tokens, token, held, alice, bob, mallory, fraction, owner, to
):
    """crytic test_ERC20external_transferFrom, spendAllowanceAfterTransfer, selfTransferFrom,
    transferFromZeroAmount: transferFrom moves exactly the amount, lowers a finite
    allowance by it, leaves an infinite one (2**256-1) untouched, keeps the supply."""
    finite = owner.startswith("alice")
    source = alice if finite else bob
    allowance, balance = (held.alice_allows, held.alice) if finite else (held.bob_allows, held.bob)
    receiver = source if to == "owner" else mallory
    amount = min(allowance, balance) * fraction // 1_000
    moved = read(tokens.probe.transferFrom, token, source, receiver, amount)
    ok, before, after, to_before, to_after, allowed, still_allowed, supply0, supply1 = moved
    assert ok is True
    assert supply1 == supply0
    if receiver == source:
        assert after == before
    else:
        assert (before - after, to_after - to_before) == (amount, amount)
    assert allowed == allowance
    assert still_allowed == (MAX if allowance == MAX else allowance - amount)


@given(first=st.integers(0, MAX), second=st.integers(0, MAX))
def test_approve_overwrites_the_allowance(tokens, token, bob, first, second):
    """crytic test_ERC20external_setAllowance and setAllowanceTwice: approve sets the
    allowance to exactly the value given, whatever it was."""
    assert read(tokens.probe.approveTwice, token, bob, first, second) == (first, second)


# ====================================================================== refusals


@given(extra=EXTRA)
def test_transfers_beyond_balance_or_allowance_or_to_zero_revert(
    tokens, token, held, alice, bob, extra
):
    """crytic transferMoreThanBalance, transferFromMoreThanBalance (with an infinite
    allowance), transferFromMoreThanAllowance, transferToZeroAddress,
    transferFromToZeroAddress, and approve to zero: each reverts with OpenZeppelin's
    named error and values (so nothing moves)."""
    probe = tokens.probe.address
    too_much = held.alice + extra
    assert_reverts(
        token.ERC20InsufficientBalance, token.transfer, bob, too_much, by=alice,
        sender=alice.address, balance=held.alice, needed=too_much,
    )  # fmt: skip
    over = held.alice_allows + extra
    assert_reverts(
        token.ERC20InsufficientAllowance, token.transferFrom, alice, bob, over, by=probe,
        spender=probe, allowance=held.alice_allows, needed=over,
    )  # fmt: skip
    too_much = held.bob + extra
    assert_reverts(
        token.ERC20InsufficientBalance, token.transferFrom, bob, alice, too_much, by=probe,
        sender=bob.address, balance=held.bob, needed=too_much,
    )  # fmt: skip
    some = extra % (held.alice + 1)
    assert_reverts(token.ERC20InvalidReceiver, token.transfer, ZERO, some, by=alice, receiver=ZERO)
    some = extra % (held.bob + 1)
    assert_reverts(
        token.ERC20InvalidReceiver, token.transferFrom, bob, ZERO, some, by=probe, receiver=ZERO
    )
    assert_reverts(token.ERC20InvalidSpender, token.approve, ZERO, extra, by=alice, spender=ZERO)


# ====================================================================== permit


# Half the profile's examples: each sends a transaction and signs four permits, and the
# generated values (amount, lifetime) matter less here than the domain cases, all checked.
@settings(max_examples=max(2, settings().max_examples // 2))
@given(value=st.integers(0, MAX), lifetime=st.integers(0, 10 * 365 * 86_400))
@pytest.mark.parametrize("name", ["stablecoin", "cash"])
def test_permit_sets_the_allowance_once_for_its_own_domain_and_deadline(
    tokens, alice, bob, name, value, lifetime
):
    """EIP-2612: a valid permit sets the allowance and increments the owner's nonce by
    one; the same signature is refused a second time; a signature for another chain
    id, another token or past its deadline is refused (ERC2612InvalidSigner,
    ERC2612ExpiredSignature)."""
    token = tokens.by_name[name]
    other = tokens.by_name["cash" if name == "stablecoin" else "stablecoin"]
    # The domains as the tokens report them (ERC-5267), read once for the four signatures.
    own, foreign = permit_domain(token), permit_domain(other)
    other_chain = ape.chain.chain_id + 1
    with isolated():
        now = ape.chain.blocks.head.timestamp
        deadline, nonce = now + 1 + lifetime, read(token.nonces, alice)

        def signed(deadline, nonce, chain_id=None, domain=own):
            return sign_permit(
                token, alice, bob.address, value, deadline, nonce, chain_id, domain=domain
            )

        first = signed(deadline, nonce)
        # The permit's block at now + 1 exactly: Anvil otherwise stamps it with the wall
        # clock, which a busy machine moves past a deadline of now + 1 (lifetime 0).
        ape.chain.provider.make_request("evm_setNextBlockTimestamp", [now + 1])
        send(token.permit, alice, bob, value, deadline, *first, sender=bob)
        assert read(token.allowance, alice, bob) == value
        assert read(token.nonces, alice) == nonce + 1
        for refused in (
            first,  # the same signature again
            signed(deadline, nonce + 1, chain_id=other_chain),
            # another verifying contract (under this token's name)
            signed(deadline, nonce + 1, domain={**foreign, "name": own["name"]}),
        ):
            assert_reverts(
                token.ERC2612InvalidSigner, token.permit, alice, bob, value, deadline, *refused,
                by=bob, owner=alice.address,
            )  # fmt: skip
        past = now - 1 - lifetime
        expired = signed(past, nonce + 1)
        assert_reverts(
            token.ERC2612ExpiredSignature, token.permit, alice, bob, value, past, *expired,
            by=bob, deadline=past,
        )  # fmt: skip
