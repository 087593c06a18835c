"""The contracts' fixed bounds and periods, written once in Python.

Every value here is a ``public constant`` (or, for OpenZeppelin's AccessManager, a
constant view) of a deployed contract. ``MIRRORED`` says which: tests/unit/test_mirrors.py
reads each from the deployed system, checks it equals the value here, and fails when a
contract has a public constant this module (or ``roles.Role``, ``pauses``) lacks.

Deployment files are checked against these bounds before the first transaction
(``sovereign.deployconfig``); the tests and the audit suites predict with them. Times are
in seconds, ratios in WAD (1e18 = 100%), shares of a whole in basis points (10,000 = 100%).
"""

from __future__ import annotations

from eth_utils import keccak

from sovereign.units import WAD

HOUR = 3_600  # [s]
DAY = 86_400  # [s]

# ------------------------------------------------------------------ SovereignAccessManager
# The shortest execution delay of a delayed role (admin, governor): the time a guardian
# on call has to see a scheduled governance act and cancel it.
MIN_EXECUTION_DELAY = 3_600
# The public notice of a guardian's removal, which that guardian cannot cancel.
GUARDIAN_REMOVAL_NOTICE = 7 * DAY
# OpenZeppelin AccessManager: a scheduled operation expires this long after it became
# executable (expiration()); a lowered delay or a grant delay change waits at least
# MIN_SETBACK (minSetback()).
EXPIRATION = 7 * DAY
MIN_SETBACK = 5 * DAY

# ------------------------------------------------------------------ ReportedPriceFeed
# The reporter's deviation bound [bps] and the sliding window it holds over [s].
MIN_DEVIATION_BPS = 10
MAX_DEVIATION_BPS = 5_000
MIN_DEVIATION_WINDOW = 3_600
MAX_DEVIATION_WINDOW = 7 * DAY
# A report reads back at most this many rounds of the window.
MAX_REPORTS_PER_WINDOW = 32

# ------------------------------------------------------------------ Reserve
# The governor's range for the minimum collateral ratio [WAD].
MIN_RATIO_FLOOR_WAD = WAD
MIN_RATIO_CEILING_WAD = 3 * WAD
# A collateral asset's haircut and concentration cap [bps]; a cap is at most BPS (100%).
MAX_HAIRCUT_BPS = 9_000
MIN_CONCENTRATION_CAP_BPS = 100
# A collateral feed's heartbeat [s].
MIN_HEARTBEAT = 60
MAX_HEARTBEAT = 7 * DAY
MAX_REDEMPTION_FEE_BPS = 100
# Listed collateral assets: bounds the valuation's loops.
MAX_ASSETS = 20

# ------------------------------------------------------------------ TBillSeries
# After maturity, how long a short repayment pool may still be funded before a default.
GRACE_PERIOD = 3 * DAY

# ------------------------------------------------------------------ TBillVault
MAX_LOTS = 64
MAX_MARKDOWN_BPS = 5_000
# A bill bought by the vault matures at least this long after the purchase.
MIN_TIME_TO_MATURITY = DAY

# ------------------------------------------------------------------ BondSeries
# After a payment date, how long an unfunded coupon may still be funded before a default
# (the usual grace period for interest in sovereign indentures); after the redemption
# date, how long a short principal pool may still be funded (as for bills).
COUPON_GRACE = 30 * DAY
PRINCIPAL_GRACE = 3 * DAY

# ------------------------------------------------------------------ BondRegistry
# The governor's largest haircut for a remaining-maturity tier [bps]: more is a
# de-listing in disguise.
MAX_MATURITY_HAIRCUT_BPS = 5_000
# The upper bound of each tier's remaining maturity [s] (TIER_LIMITS(i)); the fifth
# tier, beyond ten years, is open-ended.
MATURITY_TIER_LIMITS = (365 * DAY, 3 * 365 * DAY, 5 * 365 * DAY, 10 * 365 * DAY)

# ------------------------------------------------------------------ commodities
# CommodityToken: the delivery fee's bound [bps], when a holder may cancel an undelivered
# request [s], and the most lots one mint or request names.
MAX_DELIVERY_FEE_BPS = 100
DELIVERY_TIMEOUT = 30 * DAY
MAX_LOTS_PER_CALL = 64
# ReserveAttestations: the largest attester set, the longest a statement may be relied
# on after its as-of [s], and the EIP-712 type the attesters sign (sovereign.attest).
MAX_ATTESTERS = 16
MAX_VALIDITY = 35 * DAY
ATTESTATION_TYPE = (
    "Attestation(address asset,uint64 nonce,uint64 asOf,uint64 expiresAt,bytes32 lotsRoot,"
    "uint256 totalQuantity,uint32 lotCount)"
)
ATTESTATION_TYPEHASH = keccak(text=ATTESTATION_TYPE)
# ProgramCeilings: the largest ceiling of an asset class [WAD, peg currency].
MAX_CEILING_WAD = 10**15 * WAD
# FxConvertedFeed: the FX rounds read back over the lag window, the longest lag [s],
# the largest closed-market haircut [bps].
MAX_LAG_ROUNDS = 16
MAX_LAG = 7 * DAY
MAX_CLOSED_HAIRCUT_BPS = 2_000
# ------------------------------------------------------------------ redemption desk
# RedemptionDesk: its two windows [s], a participant's open requests, the bounds of its
# limits [bps of supply; the band in WAD], of the smallest request [coin units], of the
# admission delay and of the cancellation timeout [s]. Request states: sovereign.desk.
FAST_WINDOW = HOUR
SLOW_WINDOW = DAY
MAX_OPEN = 8
MIN_HOUR_BPS = 10
MAX_HOUR_BPS = 5_000
MIN_FLOOR_BPS = 1_000
MAX_BAND_WAD = WAD
MIN_MIN_REQUEST = WAD
MAX_MIN_REQUEST = 10**6 * WAD
MAX_ADMISSION_DELAY = DAY
MIN_CANCEL_AFTER = DAY
MAX_CANCEL_AFTER = 30 * DAY

# contract name (as deployed) -> the names of its constants mirrored here.
MIRRORED: dict[str, tuple[str, ...]] = {
    "SovereignAccessManager": (
        "MIN_EXECUTION_DELAY",
        "GUARDIAN_REMOVAL_NOTICE",
        "EXPIRATION",
        "MIN_SETBACK",
    ),
    "ReportedPriceFeed": (
        "MIN_DEVIATION_BPS",
        "MAX_DEVIATION_BPS",
        "MIN_DEVIATION_WINDOW",
        "MAX_DEVIATION_WINDOW",
        "MAX_REPORTS_PER_WINDOW",
    ),
    "Reserve": (
        "MIN_RATIO_FLOOR_WAD",
        "MIN_RATIO_CEILING_WAD",
        "MAX_HAIRCUT_BPS",
        "MIN_CONCENTRATION_CAP_BPS",
        "MIN_HEARTBEAT",
        "MAX_HEARTBEAT",
        "MAX_REDEMPTION_FEE_BPS",
        "MAX_ASSETS",
    ),
    "TBillSeries": ("GRACE_PERIOD",),
    "TBillVault": ("MAX_LOTS", "MAX_MARKDOWN_BPS", "MIN_TIME_TO_MATURITY"),
    "BondSeries": ("COUPON_GRACE", "PRINCIPAL_GRACE"),
    "BondRegistry": ("MAX_MATURITY_HAIRCUT_BPS",),
    "CommodityToken": ("MAX_DELIVERY_FEE_BPS", "DELIVERY_TIMEOUT", "MAX_LOTS_PER_CALL"),
    "ReserveAttestations": ("MAX_ATTESTERS", "MAX_VALIDITY", "ATTESTATION_TYPEHASH"),
    "ProgramCeilings": ("MAX_CEILING_WAD",),
    "FxConvertedFeed": ("MAX_LAG_ROUNDS", "MAX_LAG", "MAX_CLOSED_HAIRCUT_BPS"),
    "RedemptionDesk": (
        "FAST_WINDOW",
        "SLOW_WINDOW",
        "MAX_OPEN",
        "MIN_HOUR_BPS",
        "MAX_HOUR_BPS",
        "MIN_FLOOR_BPS",
        "MAX_BAND_WAD",
        "MIN_MIN_REQUEST",
        "MAX_MIN_REQUEST",
        "MAX_ADMISSION_DELAY",
        "MIN_CANCEL_AFTER",
        "MAX_CANCEL_AFTER",
    ),  # fmt: skip
}
# The contract's view of a mirror that is not named like it (OpenZeppelin's own views).
VIEWS = {"EXPIRATION": "expiration", "MIN_SETBACK": "minSetback"}
