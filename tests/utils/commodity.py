"""The commodities of the test deployments: gold and crude, converted at 22.50 per USD."""

from __future__ import annotations

from decimal import Decimal

from sovereign.deploycommodity import CommoditySpec, FxSpec

FX = FxSpec(initial_rate=Decimal("22.5"))


CUSTODIAN = "VAULT-CO"  # the custodian named in the test lot lists


def commodity_specs(attesters, custodian=None) -> list[CommoditySpec]:
    """Gold (0.001 oz, METALS, 15% haircut) and Brent (0.01 bbl, ENERGY, 20%), each
    attested by two of ``attesters``; ``custodian`` (default: the first attester) speaks
    for VAULT-CO."""
    addresses = tuple(getattr(a, "address", a) for a in attesters)
    custodians = ((CUSTODIAN, getattr(custodian, "address", custodian) or addresses[0]),)
    gold = CommoditySpec(
        "SGLD", "Sovereign Gold", "troy ounce of fine gold", 3, "METALS", "XAU",
        initial_price=Decimal("2400"), ceiling=Decimal("50000000000"),
        attesters=addresses, threshold=2, custodians=custodians,
    )  # fmt: skip
    oil = CommoditySpec(
        "SOIL", "Sovereign Crude", "barrel of Brent crude", 2, "ENERGY", "BRENT",
        initial_price=Decimal("80"), haircut_bps=2_000, ceiling=Decimal("20000000000"),
        attesters=addresses, threshold=2, custodians=custodians,
    )  # fmt: skip
    return [gold, oil]
