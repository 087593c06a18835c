"""Calling restricted functions through the AccessManager.

A function mapped to a role held with an execution delay cannot be called
directly: the call is scheduled on the manager, becomes executable after the
delay, and is then executed through the manager. These helpers hide that dance
and say clearly when a caller has no permission at all.
"""

from __future__ import annotations

from dataclasses import dataclass

from ape import chain
from eth_utils import function_signature_to_4byte_selector

from sovereign.roles import Role


class NotPermitted(Exception):
    """The sender holds no role that may call the function."""


def selector(contract, method: str) -> bytes:
    """The 4-byte selector of ``contract.method`` (the first overload)."""
    abis = [m for m in contract.contract_type.mutable_methods if m.name == method]
    if not abis:
        raise ValueError(f"{contract.contract_type.name} has no function {method!r}")
    return function_signature_to_4byte_selector(abis[0].selector)


@dataclass(frozen=True)
class Permission:
    immediate: bool
    delay: int

    @property
    def allowed(self) -> bool:
        return self.immediate or self.delay > 0


def permission(manager, sender, contract, method: str) -> Permission:
    immediate, delay = manager.canCall(sender, contract.address, selector(contract, method))
    return Permission(bool(immediate), int(delay))


# Margin [seconds] added to a guardian removal's earliest time, so that the schedule
# still holds when its transaction is mined a little later than the clock read now.
REMOVAL_MARGIN = 3_600


def earliest_execution(manager, contract, method: str, *args) -> int:
    """The time to schedule ``method(*args)`` for: 0 (as soon as the delay allows), or for
    a guardian's removal the manager's public notice (GUARDIAN_REMOVAL_NOTICE) from now."""
    if contract.address == manager.address and method == "revokeRole" and args:
        if int(args[0]) == int(Role.GUARDIAN):
            notice = int(manager.GUARDIAN_REMOVAL_NOTICE())
            return chain.pending_timestamp + notice + REMOVAL_MARGIN
    return 0


def schedule(manager, contract, method: str, *args, sender):
    """Schedule a delayed call; returns the receipt of ``schedule``."""
    data = getattr(contract, method).encode_input(*args)
    when = earliest_execution(manager, contract, method, *args)
    return manager.schedule(contract.address, data, when, sender=sender)


def execute(manager, contract, method: str, *args, sender):
    """Execute a scheduled call whose delay has passed."""
    data = getattr(contract, method).encode_input(*args)
    return manager.execute(contract.address, data, sender=sender)


def call(manager, contract, method: str, *args, sender, travel: bool = False):
    """Call a restricted function as ``sender``, scheduling it first if its role is delayed.

    With ``travel`` (local chains only) the chain's clock is moved past the delay
    and the call is executed at once; without it a delayed call raises, because
    on a real network the operator must come back after the delay.
    """
    perm = permission(manager, sender, contract, method)
    if perm.immediate:
        return getattr(contract, method)(*args, sender=sender)
    if not perm.allowed:
        raise NotPermitted(f"{sender.address} may not call {contract.contract_type.name}.{method}")
    if not travel:
        raise NotPermitted(
            f"{contract.contract_type.name}.{method} needs a scheduled call with a "
            f"{perm.delay} s delay; schedule it and execute it after the delay"
        )
    receipt = schedule(manager, contract, method, *args, sender=sender)
    # The time the operation becomes executable, from its OperationScheduled event.
    scheduled = receipt.events.filter(manager.OperationScheduled)[0]
    chain.pending_timestamp = max(int(scheduled.schedule), chain.pending_timestamp)
    return execute(manager, contract, method, *args, sender=sender)


def manager_call(manager, method: str, *args, sender, travel: bool = False):
    """Call one of the manager's own admin functions (grantRole, ...) as ``sender``."""
    return call(manager, manager, method, *args, sender=sender, travel=travel)
