"""The redemption desk (the bank-run brake) in a deployment: deployed after the
reserve's other companions, registered as the reserve's participant, named by the
reserve as the one way to redeem, and its governance functions wired to the governor.

Why it is on by default (``SystemConfig.redemption_desk``): without it a run is a race
in which the first redeemers take the reserve's cash and the rest find a revert; the
desk's limits and pro-rata queue are what a sovereign issuer's holders are promised.
A deployment may leave it out (``redemption_desk=False``): participants then redeem at
the reserve directly, as in wave 1, and the reserve's own rules are what the older
suites test.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sovereign.units import text_to_bytes32

if TYPE_CHECKING:
    from sovereign.deploy import System
    from sovereign.deployphases import Deployment

# The desk's participant licence in the reserve's register (ParticipantRegistered).
DESK_LICENCE = "REDEMPTION-DESK"


def deploy_desk(run: Deployment, system: System):
    """Phase 4, last: the desk over the reserve (its coin and cash read from it)."""
    return run.deploy("RedemptionDesk", system.manager.address, system.reserve.address)


def set_desk_parameters(run: Deployment, system: System) -> None:
    """Phase 6: the desk registered as a participant, then named by the reserve (in
    this order: a named desk that is not a participant could not redeem)."""
    reserve, desk = system.reserve, system.desk
    run.send(
        "registerParticipant desk",
        lambda: reserve.registerParticipant(
            desk.address, text_to_bytes32(DESK_LICENCE), sender=run.deployer
        ),
    )
    run.send(
        "setRedemptionDesk",
        lambda: reserve.setRedemptionDesk(desk.address, sender=run.deployer),
    )
