"""ReserveAttestations: who may attest, how many must, and what a statement cannot be.

Each refusal names its custom error and values: a replayed statement, a signer
outside the set, fewer signers than M, a signer twice, a signature meant for another
chain or another registry, times that do not hold, a statement not newer than the last.
"""

from __future__ import annotations

import ape
import pytest

from sovereign.attest import sign, signed, statement
from sovereign.permit import permit_domain
from sovereign.units import text_to_bytes32
from tests.commodity.conftest import DAY, HOUR, T0, attest, bars, fresh, mine


def test_a_statement_signed_by_m_of_n_is_accepted_and_live_until_it_expires(w):
    lots = bars(3)
    receipt_before = w.registry.current(w.gold)
    assert receipt_before == (False, b"\0" * 32, 0, 0, 0, 0)  # never attested: not live
    s = attest(w, lots, as_of=T0 - HOUR, expires_at=T0 + 30 * DAY)
    live, root, total, as_of, expires_at, nonce = w.registry.current(w.gold)
    assert (live, root, total, as_of, expires_at, nonce) == (
        True, s.lots_root, sum(lot.quantity for lot in lots), T0 - HOUR, T0 + 30 * DAY, 1,
    )  # fmt: skip
    assert w.registry.lotCount(w.gold) == 3
    mine(T0 + 30 * DAY - 1)
    assert w.registry.current(w.gold)[0] is True
    mine(T0 + 30 * DAY)
    assert w.registry.current(w.gold)[0] is False  # expired: not live, nothing reverts


def test_the_event_keeps_the_history(w):
    s = statement(w.gold.address, bars(2), 1, T0 - HOUR, T0 + 10 * DAY)
    who, sigs = signed(w.registry, s, w.attesters)
    receipt = w.registry.submit(s.as_struct(), who, sigs, sender=w.mallory)  # anyone submits
    assert receipt.events == [
        w.registry.AttestationAccepted(
            w.gold.address, 1, T0 - HOUR, T0 + 10 * DAY, s.lots_root, s.total_quantity, 2, who
        )
    ]


def test_a_replayed_statement_is_refused(w):
    s = statement(w.gold.address, bars(2), 1, T0 - HOUR, T0 + 10 * DAY)
    who, sigs = signed(w.registry, s, w.attesters[:2])
    w.registry.submit(s.as_struct(), who, sigs, sender=w.other)
    with ape.reverts(w.registry.AttestationWrongNonce, asset=w.gold.address, nonce=1, expected=2):
        w.registry.submit(s.as_struct(), who, sigs, sender=w.other)


def test_an_older_statement_under_the_next_nonce_is_refused(w):
    attest(w, bars(2), as_of=T0 - HOUR)
    with ape.reverts(w.registry.AttestationNotNewer, asOf=T0 - 2 * HOUR, lastAsOf=T0 - HOUR):
        attest(w, bars(2), as_of=T0 - 2 * HOUR)


def test_a_signer_outside_the_set_is_refused(w, accounts):
    s = statement(w.gold.address, bars(2), 1, T0 - HOUR, T0 + 10 * DAY)
    outsider = accounts[13]
    who, sigs = signed(w.registry, s, [w.attesters[0], outsider])
    with ape.reverts(w.registry.AttestationNotAttester, signer=outsider.address):
        w.registry.submit(s.as_struct(), who, sigs, sender=w.other)


def test_fewer_signers_than_m_are_refused(w):
    s = statement(w.gold.address, bars(2), 1, T0 - HOUR, T0 + 10 * DAY)
    who, sigs = signed(w.registry, s, w.attesters[:1])
    with ape.reverts(w.registry.AttestationTooFewSigners, signers=1, threshold=2):
        w.registry.submit(s.as_struct(), who, sigs, sender=w.other)


def test_one_signer_twice_or_out_of_order_is_refused(w):
    s = statement(w.gold.address, bars(2), 1, T0 - HOUR, T0 + 10 * DAY)
    who, sigs = signed(w.registry, s, w.attesters[:1])
    with ape.reverts(w.registry.AttestationSignersNotSorted, previous=who[0], signer=who[0]):
        w.registry.submit(s.as_struct(), who * 2, sigs * 2, sender=w.other)
    who, sigs = signed(w.registry, s, w.attesters[:2])
    with ape.reverts(w.registry.AttestationSignersNotSorted, previous=who[1], signer=who[0]):
        w.registry.submit(s.as_struct(), who[::-1], sigs[::-1], sender=w.other)


@pytest.mark.parametrize("field", ["chainId", "verifyingContract"])
def test_a_signature_meant_for_another_chain_or_registry_is_refused(w, field):
    s = statement(w.gold.address, bars(2), 1, T0 - HOUR, T0 + 10 * DAY)
    domain = permit_domain(w.registry)
    domain[field] = 31337 + 1 if field == "chainId" else w.ceilings.address
    first, second = sorted(w.attesters[:2], key=lambda a: int(a.address, 16))
    sigs = [sign(first, w.registry, s, domain=domain), sign(second, w.registry, s)]
    with ape.reverts(w.registry.AttestationBadSignature, signer=first.address):
        w.registry.submit(s.as_struct(), [first.address, second.address], sigs, sender=w.other)


def test_a_statement_altered_after_signing_is_refused(w):
    s = statement(w.gold.address, bars(2), 1, T0 - HOUR, T0 + 10 * DAY)
    who, sigs = signed(w.registry, s, w.attesters[:2])
    inflated = type(s)(**{**s.__dict__, "total_quantity": s.total_quantity * 2})
    with ape.reverts(w.registry.AttestationBadSignature, signer=who[0]):
        w.registry.submit(inflated.as_struct(), who, sigs, sender=w.other)


@pytest.mark.parametrize(
    "as_of, expires_at",
    [
        (T0 + 1, T0 + 10 * DAY),  # as of the future
        (T0 - 2 * DAY, T0),  # already expired
        (T0 - HOUR, T0 - HOUR + 35 * DAY + 1),  # relied on for longer than 35 days
    ],
)
def test_times_that_do_not_hold_are_refused(w, as_of, expires_at):
    with ape.reverts(w.registry.AttestationBadTimes, asOf=as_of, expiresAt=expires_at, nowTs=T0):
        attest(w, bars(1), as_of=as_of, expires_at=expires_at)


def test_length_mismatch_and_empty_root_and_unconfigured_asset_are_refused(w):
    s = statement(w.gold.address, bars(2), 1, T0 - HOUR, T0 + 10 * DAY)
    who, sigs = signed(w.registry, s, w.attesters[:2])
    with ape.reverts(w.registry.AttestationLengthMismatch, signers=2, signatures=1):
        w.registry.submit(s.as_struct(), who, sigs[:1], sender=w.other)
    empty = type(s)(**{**s.__dict__, "lots_root": b"\0" * 32})
    with ape.reverts(w.registry.AttestationEmptyRoot):
        w.registry.submit(empty.as_struct(), who, sigs, sender=w.other)
    stranger = type(s)(**{**s.__dict__, "asset": w.ceilings.address})
    with ape.reverts(w.registry.AttestationNoAttesters, asset=w.ceilings.address):
        w.registry.submit(stranger.as_struct(), who, sigs, sender=w.other)


def test_only_governance_sets_attesters_within_bounds(w, accounts):
    new = [a.address for a in accounts[13:16]]
    with ape.reverts(w.registry.AccessManagedUnauthorized, caller=w.mallory.address):
        w.registry.setAttesters(w.gold, new, 2, sender=w.mallory)
    for members, m in (
        (new, 0),
        (new, 4),
        ([new[0], new[0]], 1),
        ([new[0], ape.utils.ZERO_ADDRESS], 1),
    ):
        with ape.reverts(w.registry.AttestationInvalidAttesters):
            w.registry.setAttesters(w.gold, members, m, sender=w.admin)
    with ape.reverts(w.registry.AttestationInvalidAttesters, count=17, threshold=1):
        w.registry.setAttesters(
            w.gold, [fresh(accounts).address for _ in range(17)], 1, sender=w.admin
        )
    receipt = w.registry.setAttesters(w.gold, new, 3, sender=w.admin)
    assert receipt.events == [w.registry.AttestersSet(w.gold.address, new, 3)]
    assert w.registry.attesters(w.gold) == new and w.registry.threshold(w.gold) == 3
    assert not any(w.registry.isAttester(w.gold, a) for a in w.attesters)  # the old set is gone


def test_the_typed_message_the_cli_signs_is_the_digest_the_registry_checks(w):
    """sovereign.attest's EIP-712 message (type, domain, fields) hashes to the registry's
    own digest, and its type hash is the one sovereign.limits mirrors."""
    from eth_account.messages import _hash_eip191_message

    from sovereign.attest import message
    from sovereign.limits import ATTESTATION_TYPEHASH

    s = statement(w.gold.address, bars(3), 1, T0 - HOUR, T0 + 10 * DAY)
    signable = message(w.registry, s).signable_message
    assert _hash_eip191_message(signable) == w.registry.digest(s.as_struct())
    assert w.registry.ATTESTATION_TYPEHASH() == ATTESTATION_TYPEHASH


def test_the_guardian_suspends_a_live_statement_until_a_newer_one(w):
    """The review's L-5: a live statement can be withdrawn at once; a new attester set
    suspends it too; only a newer statement makes the asset count again."""
    attest(w, bars(2))
    with ape.reverts(w.registry.AccessManagedUnauthorized, caller=w.mallory.address):
        w.registry.suspend(w.gold, text_to_bytes32("NO"), sender=w.mallory)
    receipt = w.registry.suspend(w.gold, text_to_bytes32("CUSTODIAN-CASE"), sender=w.admin)
    assert receipt.events == [
        w.registry.AttestationSuspended(
            w.gold.address, 1, text_to_bytes32("CUSTODIAN-CASE"), w.admin.address
        )
    ]
    assert w.registry.current(w.gold)[0] is False and w.registry.suspendedNonce(w.gold) == 1
    attest(w, bars(2))
    assert w.registry.current(w.gold)[0] is True
    w.registry.setAttesters(w.gold, [a.address for a in w.attesters], 3, sender=w.admin)
    assert w.registry.current(w.gold)[0] is False  # signed by a set no longer in place
