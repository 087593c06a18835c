"""Commodity reserves: attestations (proof of reserve), commodity tokens, program
ceilings, FX conversion.

Quantities are in the commodity token (``units.token``, e.g. SGLD in troy ounces);
book values and ceilings in the peg currency (WAD, the unit of account).
"""

from __future__ import annotations

from sovereign.sentences._fmt import Entry, Fmt

# CommodityToken.LotState and RequestState, by index
_LOT = ("never minted", "minted", "requested for delivery", "delivered")
_REQUEST = ("unknown", "open", "accepted by the custodian", "delivered", "cancelled")


def _state(names: tuple[str, ...], value) -> str:
    index = int(value)
    return names[index] if 0 <= index < len(names) else f"state {index:,}"


def _lot(i: dict, f: Fmt, key: str = "lotKey") -> str:
    return f"lot {f.ident(i[key])}"


def _asset(i: dict, f: Fmt) -> str:
    return f.addr(i["asset"])


def _times(i: dict, f: Fmt) -> str:
    return (
        f"an attestation as of {f.when(i['asOf'])}, expiring {f.when(i['expiresAt'])}, is "
        f"refused at {f.when(i['nowTs'])}: it must be as of the past, not expired, and relied "
        "on for at most 35 days"
    )


SENTENCES: dict[str, Entry] = {
    # ---------------------------------------------------------------- ReserveAttestations
    "AttestationBadSignature": lambda i, f: (
        f"the signature of {f.addr(i['signer'])} does not verify: it was made for other "
        "terms, another chain or another registry; sign this statement again"
    ),
    "AttestationBadTimes": _times,
    "AttestationEmptyRoot": lambda i,
    f: "the attestation has no lot list (its Merkle root is zero)",
    "AttestationInvalidAttesters": lambda i, f: (
        f"an attester set for {_asset(i, f)} of {f.n(i['count'])} with {f.n(i['threshold'])} "
        "to sign is refused: 1 to 16 distinct, non-zero attesters, at least one to sign and "
        "no more than there are"
    ),
    "AttestationLengthMismatch": lambda i, f: (
        f"{f.n(i['signers'])} signers were named with {f.n(i['signatures'])} signatures: "
        "give one signature per signer"
    ),
    "AttestationNoAttesters": lambda i, f: (
        f"{_asset(i, f)} has no attesters: governance sets them first (ape treasury attest "
        "attesters)"
    ),
    "AttestationNotAttester": lambda i, f: (
        f"{f.addr(i['signer'])} is not an attester of {_asset(i, f)}"
    ),
    "AttestationNotNewer": lambda i, f: (
        f"the attestation of {_asset(i, f)} as of {f.when(i['asOf'])} is not newer than the "
        f"last one, as of {f.when(i['lastAsOf'])}"
    ),
    "AttestationSignersNotSorted": lambda i, f: (
        f"signers must be listed once each in increasing address order: {f.addr(i['signer'])} "
        f"comes after {f.addr(i['previous'])}"
    ),
    "AttestationTooFewSigners": lambda i, f: (
        f"{f.n(i['signers'])} signatures for {_asset(i, f)}, {f.n(i['threshold'])} needed: "
        "collect more attesters' signatures"
    ),
    "AttestationWrongNonce": lambda i, f: (
        f"the attestation of {_asset(i, f)} carries nonce {f.n(i['nonce'])}, the next is "
        f"{f.n(i['expected'])}: a statement is accepted once (a replay is refused)"
    ),
    # ---------------------------------------------------------------- CommodityToken
    "CommodityBadProof": lambda i, f: (
        "the lots do not prove against the live attestation's lot list: a lot is not in it, "
        "or its details differ"
    ),
    "CommodityExceedsAttested": lambda i, f: (
        f"the supply would be {f.token(i['supplyAfter'])}, above the {f.token(i['attested'])} "
        "attested: mint less, or attest the new lots first"
    ),
    "CommodityFeeOutOfBounds": lambda i, f: (
        f"a delivery fee of {f.bps(i['feeBps'])} is above the {f.bps(i['max'])} allowed"
    ),
    "CommodityInvalidAddress": lambda i, f: f"{f.addr(i['account'])} cannot be used here",
    "CommodityLotNotDeliverable": lambda i, f: (
        f"{_lot(i, f)} is {_state(_LOT, i['state'])}: only a minted lot can be requested for "
        "delivery"
    ),
    "CommodityLotNotMintable": lambda i, f: (
        f"{_lot(i, f)} is {_state(_LOT, i['state'])}: a lot is minted once, ever"
    ),
    "CommodityMixedCustodians": lambda i, f: (
        f"{_lot(i, f)} is held by {f.ident(i['custodian'])}, the request's other lots by "
        f"{f.ident(i['requestCustodian'])}: one request per custodian"
    ),
    "CommodityNotCustodian": lambda i, f: (
        f"delivery request {f.n(i['requestId'])} is for custodian {f.ident(i['custodian'])}, "
        f"whose registered account is not {f.addr(i['caller'])}"
    ),
    "CommodityNoLiveAttestation": lambda i, f: (
        "no live attestation: the last one expired on "
        f"{f.when(i['expiresAt'])}, it is {f.when(i['nowTs'])} (ape treasury attest submit)"
        if int(i["expiresAt"])
        else "no attestation of this commodity yet (ape treasury attest submit)"
    ),
    "CommodityNoLots": lambda i, f: (
        f"{f.n(i['count'])} lots named: between 1 and {f.n(i['max'])} per call"
    ),
    "CommodityNoPrice": lambda i, f: (
        f"no usable price to record the book value (answer {f.value(i['answer'])}, updated "
        f"{f.when(i['updatedAt'])}): the price or FX reporter reports first"
    ),
    "CommodityNotHolder": lambda i, f: (
        f"delivery request {f.n(i['requestId'])} belongs to {f.addr(i['holder'])}, not "
        f"{f.addr(i['caller'])}"
    ),
    "CommodityRequestNotOpen": lambda i, f: (
        f"delivery request {f.n(i['requestId'])} is {_state(_REQUEST, i['state'])}"
    ),
    "CommodityTooEarlyToCancel": lambda i, f: (
        f"delivery request {f.n(i['requestId'])} can be cancelled from "
        f"{f.when(i['allowedAt'])} (30 days after it was made); it is {f.when(i['nowTs'])}"
    ),
    "CommodityQuantityTooLarge": lambda i, f: (
        f"{_lot(i, f)} lists a quantity of {f.token(i['quantity'])}: more than any lot holds "
        "(at most 2^128 units); correct the lot list"
    ),
    "CommodityZeroQuantity": lambda i, f: f"{_lot(i, f)} has no quantity: it cannot be minted",
    "MerkleProofInvalidMultiproof": lambda i, f: (
        "the multiproof does not fit the lots named (its proof and flags are for other lots): "
        "build it again from the lot list"
    ),
    # ---------------------------------------------------------------- ProgramCeilings
    "ProgramCeilingExceeded": lambda i, f: (
        f"the {f.ident(i['assetClass'])} program has {f.value(i['outstanding'])} outstanding; "
        f"{f.value(i['amount'])} more would pass its ceiling of {f.value(i['ceiling'])}"
    ),
    "ProgramCeilingOutOfBounds": lambda i, f: (
        f"a {f.ident(i['assetClass'])} ceiling of {f.value(i['ceiling'])} is above the "
        f"{f.value(i['max'])} allowed"
    ),
    # ---------------------------------------------------------------- DebtCeilingBook
    "DebtCeilingCashDecimals": lambda i, f: (
        f"the cash token has {f.n(i['decimals'])} decimals: a debt registry books face value "
        "in at most 18"
    ),
    "DebtCeilingInvalidBook": lambda i, f: (
        "a debt registry needs the program's ceilings contract and an asset class: "
        f"{f.addr(i['ceilings'])} and {f.ident(i['assetClass'])} were given"
    ),
    # ---------------------------------------------------------------- FxConvertedFeed
    "FxInvalidParameter": lambda i, f: (
        f"the FX-converted feed's {f.ident(i['name'])} is refused ({f.n(i['value'])}): "
        "feeds non-zero, a heartbeat, a closed-market heartbeat at least as long, a lag of at "
        "most 7 days, a weekly closure within the week, a haircut of at most 20%, rate bounds "
        "with the lower above zero"
    ),
}
