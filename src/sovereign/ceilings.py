"""The program ceilings, read for the operator: every asset class (the debt registries'
BILLS and BONDS, each commodity token's class) with its ceiling, what is outstanding
and the headroom, and the debt series whose booked figure lags their supply (repaid
face not yet given back: ``sync``)."""

from __future__ import annotations

from dataclasses import dataclass

from sovereign.units import bytes32_to_text


@dataclass(frozen=True)
class Booking:
    """A debt series whose booked face differs from its face outstanding now [wad]."""

    registry: object
    series: str
    booked: int
    current: int


def debt_registries(system) -> list:
    return [r for r in (system.registry, system.bond_registry) if r is not None]


def classes(system) -> dict[str, bytes]:
    """Every asset class of the deployment, by name -> its bytes32, debt first."""
    found = {}
    issuers = debt_registries(system)
    if system.commodity is not None:
        issuers += [c.token for c in system.commodity.commodities.values()]
    for issuer in issuers:
        raw = bytes(issuer.assetClass())
        found.setdefault(bytes32_to_text(raw), raw)
    return found


def rows(system) -> list[dict]:
    """Each class's ceiling, outstanding and headroom [peg wad, as strings]."""
    contract = system.ceilings
    return [
        {
            "class": name,
            "ceiling_wad": str(int(contract.ceiling(raw))),
            "outstanding_wad": str(int(contract.outstanding(raw))),
            "headroom_wad": str(int(contract.headroom(raw))),
        }
        for name, raw in classes(system).items()
    ]


def lagging(system) -> list[Booking]:
    """The debt series booked at another figure than their face outstanding now."""
    out = []
    for registry in debt_registries(system):
        for series in registry.allSeries():
            booked, current = int(registry.booked(series)), int(registry.faceOutstanding(series))
            if booked != current:
                out.append(Booking(registry, str(series), booked, current))
    return out
