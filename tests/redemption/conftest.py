"""One braked world per test module: a system deployed with the redemption desk, the
way production deploys it.

- the bond SB30 (priced 1.00, 7-day heartbeat, 2% haircut) backs 1,500,000 coins of
  counted value per 1,000,000 minted: the ratio is 150%, far above the 122% at which the
  limits start to tighten (minimum 102% + the 20-point band), so every capacity is full;
- four licensed participants (``p[0]`` to ``p[3]``, accounts 12 to 15) hold 250,000
  coins each and have approved the desk without limit;
- the reserve holds 100,000 of cash;
- the desk's defaults: 5% of the supply an hour (50,000 coins), 20% a day (200,000),
  5% a day per participant (50,000), a 1,000-coin minimum request, a one-hour admission
  delay, cancellation after 7 days.
"""

from __future__ import annotations

from decimal import Decimal
from types import SimpleNamespace

import pytest

from sovereign.deploy import CollateralSpec, SystemConfig, deploy_system
from sovereign.units import text_to_bytes32
from tests.utils import ref
from tests.utils.constants import FEED_DECIMALS

WAD = 10**18
CASH_UNIT = 10**12  # one unit of 6-decimal cash, in coin units
SUPPLY = 1_000_000 * WAD
WEEK = 7 * 86_400


@pytest.fixture(scope="module")
def world(deployer, holders, bond, central_bank, registrar, minter, governor, accounts):
    system = deploy_system(
        deployer,
        holders,
        SystemConfig(redemption_desk=True),
        collateral=[
            CollateralSpec(
                "SB30", bond, feed_decimals=FEED_DECIMALS, heartbeat=WEEK,
                initial_price=Decimal("1.00"),
            )
        ],
    )  # fmt: skip
    reserve, coin, desk = system.reserve, system.stablecoin, system.desk
    # 1,530,613 bonds at 98%: 1,500,000 counted, 150% of the supply.
    bond.mint(reserve, 1_530_613_000 * 10**15, sender=deployer)
    system.cash.mint(reserve, 100_000 * 10**6, sender=central_bank)
    participants = [accounts[i] for i in range(12, 16)]
    for n, p in enumerate(participants):
        reserve.registerParticipant(p, text_to_bytes32(f"LIC-{n}"), sender=registrar)
        reserve.mint(p, SUPPLY // 4, ref(f"DESK-MINT-{n}"), sender=minter)
        coin.approve(desk, 2**256 - 1, sender=p)
    return SimpleNamespace(
        system=system, reserve=reserve, coin=coin, desk=desk, cash=system.cash,
        p=participants, feed=system.feeds["SB30"], governor=governor,
    )  # fmt: skip
