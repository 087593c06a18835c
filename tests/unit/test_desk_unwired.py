"""A redemption desk over a reserve that has not named it and has no supply yet (the
session's system): every capacity is zero, the factor full, the queue empty."""


def test_with_no_supply__every_capacity_is_zero_and_the_factor_full(system, project, deployer):
    """On the session's system, which has no supply yet: a desk deployed over its reserve."""
    desk = project.RedemptionDesk.deploy(system.manager, system.reserve, sender=deployer)
    b = desk.buckets(deployer)
    assert (b.hourCapacity, b.dayCapacity, b.ownCapacity) == (0, 0, 0)
    assert desk.capacityFactorBps() == 10_000 and desk.queueEmpty()
