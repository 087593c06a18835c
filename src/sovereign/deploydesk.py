"""The redemption desk (the bank-run brake) in a deployment: deployed after the
reserve's other companions, named by the reserve as the one way to redeem, and its
governance functions wired to the governor.

Why it is on by default (``SystemConfig.redemption_desk``): without it a run is a race
in which the first redeemers take the reserve's cash and the rest find a revert; the
desk's limits and pro-rata queue are what a sovereign issuer's holders are promised.
A deployment may leave it out (``redemption_desk=False``): participants then redeem at
the reserve directly, as in wave 1, and the reserve's own rules are what the older
suites test.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sovereign.deploy import System
    from sovereign.deployphases import Deployment


def deploy_desk(run: Deployment, system: System):
    """Phase 4, last: the desk over the reserve (its coin and cash read from it)."""
    return run.deploy("RedemptionDesk", system.manager.address, system.reserve.address)


def set_desk_parameters(run: Deployment, system: System) -> None:
    """Phase 6: the desk named by the reserve (the one caller of its redeem; not a
    participant: the reserve lets its named desk redeem, so that removing a participant
    can never stop every redemption)."""
    reserve, desk = system.reserve, system.desk
    run.send(
        "setRedemptionDesk",
        lambda: reserve.setRedemptionDesk(desk.address, sender=run.deployer),
    )
