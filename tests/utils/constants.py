"""Constants the tests share: paths, the hypothesis profile, units and amounts.

The contracts' own bounds and periods are not here: they are mirrored once in
``sovereign.limits`` (and the pause flags in ``sovereign.pauses``), checked against the
deployed contracts by tests/unit/test_mirrors.py. What is here is either the tests'
own choice or a private constant of a contract that no view exposes.
"""

from __future__ import annotations

import os
from pathlib import Path

from sovereign.units import BPS, WAD

ROOT = Path(__file__).resolve().parents[2]
REPORTS = ROOT / "reports"  # the audit suites' JSON summaries

# Hypothesis profile: `quick` (make test) or `deep` (make audit); see tests/conftest.py.
PROFILE = os.environ.get("SOVEREIGN_PROFILE", "quick")

DAY = 86_400  # [s]
CASH = 10**6  # one unit of settlement cash (6 decimals)
FEED_DECIMALS = 8  # the SB30 oracle stub's decimals

ZERO = "0x0000000000000000000000000000000000000000"
ZERO_ID = b"\0" * 32  # a bytes32 id left empty
MAX = 2**256 - 1
# Private constants of the contracts (no view exposes them):
OFFSET = 10**6  # TBillVault's virtual shares: 10 ** _decimalsOffset() (6)
MAX_ANSWER = 2**128 - 1  # Reserve: a feed answer above uint128 max is not usable
INT192_MAX = 2**191 - 1  # ReportedPriceFeed: answers must lie in (0, int192 max]

__all__ = [
    "BPS",
    "CASH",
    "DAY",
    "FEED_DECIMALS",
    "INT192_MAX",
    "MAX",
    "MAX_ANSWER",
    "OFFSET",
    "PROFILE",
    "REPORTS",
    "ROOT",
    "WAD",
    "ZERO",
    "ZERO_ID",
]
