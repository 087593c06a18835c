"""The demo's commodity chapter (scripts/demo.py): gold and crude reserves, proven by
attestations signed by two of three attesters, minted into the reserve, counted through
the FX fixing; then the crude statement expires and its value leaves the ratio.

Every figure is read from the chain (``read_status``); the table at the end shows the
collateral ratio before the commodities, with them, and after the crude statement
expired.
"""

from __future__ import annotations

from pathlib import Path

from rich.console import Console
from rich.table import Table

from sovereign.status import read_status
from sovereign.units import format_amount, format_ratio

# The deploy configuration's commodity sections (appended to the demo's DEPLOY_CONFIG).
COMMODITY_CONFIG = """\
fx:                         # the central bank's fixing: eSHL per US dollar
  quote: USD
  rate: "22.50"
commodities:
  - symbol: SGLD            # fine gold, in troy ounces to 0.001 oz (LBMA bar lists)
    name: Sovereign Gold
    unit: troy ounce of fine gold
    decimals: 3
    class: METALS
    quote: XAU
    price: "2400"           # USD per ounce
    haircut_bps: 1500
    ceiling: "50000000"     # eSHL: the metals program's ceiling
    attesters: [custodian, "{auditor1}", "{auditor2}"]
    threshold: 2
    custodians: {{VAULT-CO: custodian}}
  - symbol: SOIL            # Brent crude, in barrels to 0.01 bbl
    name: Sovereign Crude
    unit: barrel of Brent crude
    decimals: 2
    class: ENERGY
    quote: BRENT
    price: "80"             # USD per barrel
    haircut_bps: 2000
    ceiling: "20000000"
    attesters: [custodian, "{auditor1}", "{auditor2}"]
    threshold: 2
    custodians: {{TANK-CO: custodian}}
"""

# Kilobars (1 kg, 32.151 fine oz at 999.9), the central bank's own holding.
GOLD_BARS = [
    ("KB-RF1-000101", "VAULT-CO", "FREETOWN", "999.9", "32.151"),
    ("KB-RF1-000102", "VAULT-CO", "FREETOWN", "999.9", "32.150"),
    ("KB-RF1-000103", "VAULT-CO", "FREETOWN", "999.9", "32.152"),
    ("KB-RF2-004104", "VAULT-CO", "FREETOWN", "999.9", "32.148"),
    ("KB-RF2-004105", "VAULT-CO", "FREETOWN", "999.9", "32.151"),
]
CRUDE_TANKS = [
    ("WR-FRT-2027-11", "TANK-CO", "FREETOWN", "BRENT", "5000.00"),
    ("WR-FRT-2027-12", "TANK-CO", "FREETOWN", "BRENT", "3000.00"),
]


def write_lots(path: Path, rows) -> Path:
    path.write_text(
        "serial,custodian,location,grade,quantity\n" + "".join(",".join(r) + "\n" for r in rows)
    )
    return path


def reading(system, label: str) -> dict[str, str]:
    state = read_status(system)
    counted = {t["symbol"]: t["counted_value_wad"] for t in state["commodities"]["tokens"]}
    return {
        "moment": label,
        "gold counted": format_amount(counted["SGLD"], 18, 2),
        "crude counted": format_amount(counted["SOIL"], 18, 2),
        "collateral value": format_amount(state["collateral_value_wad"], 18, 2),
        "collateral ratio": format_ratio(state["collateral_ratio_wad"]),
    }


def render(rows: list[dict[str, str]], console: Console) -> None:
    table = Table(title="Commodities in the reserve (amounts in eSHL)")
    for col in rows[0]:
        table.add_column(col, justify="left" if col == "moment" else "right")
    for row in rows:
        table.add_row(*row.values())
    console.print(table)


def commodity_chapter(treasury, clock, system, folder: Path, say, refresh) -> None:
    """``say``: the demo's chapter/step/note; ``refresh``: the demo's price refresh."""
    say.chapter("Commodity reserves: gold and crude, proven by attestations")
    readings = [reading(system, "before")]
    gold = write_lots(folder / "gold-bars.csv", GOLD_BARS)
    crude = write_lots(folder / "crude-receipts.csv", CRUDE_TANKS)
    say.step("The custodian's bar list: five kilobars of fine gold; its Merkle root")
    treasury("attest", "root", "SGLD", str(gold))
    say.step("The custodian and an auditor sign the gold statement (2 of 3), valid 20 days")
    statement = str(folder / "sgld-1.json")
    sign = ("attest", "sign", "SGLD", str(gold), "--out", statement, "--valid-for", "20d")
    treasury(*sign, "--account", "TEST::19")
    treasury(*sign, "--account", "TEST::16")
    treasury("attest", "submit", statement, "--yes")
    say.step("The same for the crude's warehouse receipts, valid only 5 days")
    oil_statement = str(folder / "soil-1.json")
    sign = ("attest", "sign", "SOIL", str(crude), "--out", oil_statement, "--valid-for", "5d")
    treasury(*sign, "--account", "TEST::19")
    treasury(*sign, "--account", "TEST::17")
    treasury("attest", "submit", oil_statement, "--yes")
    say.step("The commodity office mints every attested lot into the reserve")
    treasury("commodities", "mint", "SGLD", str(gold), "--all-unminted", "--yes")
    treasury("commodities", "mint", "SOIL", str(crude), "--all-unminted", "--yes")
    say.step("Anyone can check that a bar is in the attested list")
    treasury("attest", "verify", "SGLD", str(gold), "KB-RF1-000103")
    say.step("The reserve counts them at the USD price times the FX fixing, less haircuts")
    treasury("commodities", "list")
    readings.append(reading(system, "gold and crude attested"))
    say.step("The program ceilings, at book value")
    treasury("ceilings", "show")

    clock.advance(6, "nobody attests the crude again: its statement expires")
    refresh(treasury)
    say.step("The crude now counts zero; the ratio falls by exactly its value")
    treasury("attest", "show", "SOIL")
    readings.append(reading(system, "crude statement expired"))
    say.step("status shows each attestation's age and expiry, and the FX rate in use")
    treasury("status")
    render(readings, say.console)
