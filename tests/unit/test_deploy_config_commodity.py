"""The deployment file's `fx:` and `commodities:` sections: read exactly into FxSpec and
CommoditySpec, role labels resolved to the deployment's holders, bad ones refused in one
line."""

from decimal import Decimal

import pytest

from sovereign.deploy import SystemConfig
from sovereign.deploycommodity import CommoditySpec, FxSpec
from sovereign.deployconfig import load_deploy_config
from sovereign.deployconfig_commodity import resolve_holders
from sovereign.inputs import InputError

A16 = "0x2546BcD3c84621e976D8185a91A922aE77ECEc30"
A17 = "0xbDA5747bFD65F08deb54cb465eB87D40e51B197E"
CUSTODIAN = "0x8626f6940E2eb28930eFb4CeF49B2d1F2C9C1199"  # Anvil account 19

GOOD = f"""
fx:
  quote: USD
  rate: "22.50"
  heartbeat: 93600
  lag: 86400
  closed_haircut_bps: 500
commodities:
  - symbol: SGLD
    name: Sovereign Gold
    unit: troy ounce of fine gold
    decimals: 3
    class: METALS
    quote: XAU
    price: "2400"
    haircut_bps: 1500
    heartbeat: 86400
    cap_bps: 10000
    ceiling: "50000000000"
    attesters: [custodian, "{A16}", "{A17}"]
    threshold: 2
    custodians: {{VAULT-CO: custodian}}
  - symbol: SOIL
    name: Sovereign Crude
    unit: barrel of Brent crude
    decimals: 2
    class: ENERGY
    quote: BRENT
    price: "80"
"""


def _write(tmp_path, text: str):
    path = tmp_path / "deploy.yaml"
    path.write_text(text)
    return path


def test_good_file__fx_and_commodities_read_exactly(tmp_path):
    loaded = load_deploy_config(_write(tmp_path, GOOD))
    assert loaded.fx == FxSpec(
        quote="USD", initial_rate=Decimal("22.50"), heartbeat=93_600, lag=86_400,
        closed_haircut_bps=500,
    )  # fmt: skip
    assert loaded.fx.bounds() == (Decimal("11.25"), Decimal("45.00"))
    gold, oil = loaded.commodities
    assert gold == CommoditySpec(
        "SGLD", "Sovereign Gold", "troy ounce of fine gold", 3, "METALS", "XAU",
        initial_price=Decimal("2400"), heartbeat=86_400, haircut_bps=1_500,
        concentration_cap_bps=10_000, ceiling=Decimal("50000000000"),
        attesters=("custodian", A16, A17), threshold=2, custodians=(("VAULT-CO", "custodian"),),
    )  # fmt: skip
    # Defaults: CommoditySpec's; no attesters, no custodians.
    assert (oil.haircut_bps, oil.heartbeat, oil.ceiling, oil.attesters, oil.threshold) == (
        1_500, 86_400, Decimal(0), (), 0,
    )  # fmt: skip
    assert loaded.system == SystemConfig()  # the rest of the file: the defaults


def test_role_labels__resolved_to_the_deployments_holders(tmp_path):
    specs = load_deploy_config(_write(tmp_path, GOOD)).commodities
    gold, oil = resolve_holders(specs, {"custodian": CUSTODIAN, "governor": A16})
    assert gold.attesters == (CUSTODIAN, A16, A17)
    assert gold.custodians == (("VAULT-CO", CUSTODIAN),)
    assert oil == specs[1]


def test_role_label__and_its_own_address__refused_as_named_twice(tmp_path):
    specs = load_deploy_config(_write(tmp_path, GOOD)).commodities
    with pytest.raises(InputError, match="an attester is named twice"):
        resolve_holders(specs, {"custodian": A16})


def test_fx__explicit_rate_bounds(tmp_path):
    text = GOOD.replace("  lag: 86400\n", '  lag: 86400\n  min_rate: "15"\n  max_rate: "30"\n')
    fx = load_deploy_config(_write(tmp_path, text)).fx
    assert fx.bounds() == (Decimal("15"), Decimal("30"))


def _gold(**changes) -> str:
    """GOOD with the gold entry's keys changed (None removes a key)."""
    lines = GOOD.split("  - symbol: SOIL")[0].splitlines()
    out = []
    for line in lines:
        key = line.strip().split(":")[0]
        if key in changes:
            if changes[key] is not None:
                out.append(f"    {key}: {changes.pop(key)}")
            else:
                changes.pop(key)
            continue
        out.append(line)
    out += [f"    {k}: {v}" for k, v in changes.items()]
    return "\n".join(out) + "\n"


BAD = [
    (GOOD.replace("  quote: USD\n", "  quote: USD\n  spread: 1\n", 1),
     "fx: missing [], unknown ['spread']"),
    (GOOD.replace('  rate: "22.50"\n', ""), "fx: missing ['rate']"),
    (GOOD.replace('rate: "22.50"', "rate: 22.50"), "fx.rate must be a quoted decimal string"),
    (GOOD.replace('rate: "22.50"', 'rate: "0"'), "fx.rate must be above zero"),
    (GOOD.replace("heartbeat: 93600", "heartbeat: 30"), "fx.heartbeat 30 is outside [60, 604800]"),
    (GOOD.replace("lag: 86400", "lag: 700000"), "fx.lag 700000 is outside [0, 604800]"),
    (GOOD.replace("closed_haircut_bps: 500", "closed_haircut_bps: 2500"), "outside [0, 2000]"),
    (GOOD.replace("  lag: 86400\n", '  lag: 86400\n  min_rate: "15"\n'),
     "min_rate and max_rate go together"),
    (GOOD.replace("  lag: 86400\n", '  lag: 86400\n  min_rate: "5"\n  max_rate: "60"\n'),
     "must lie on one side of 1 and span less than a factor of 10"),
    (GOOD.replace("  lag: 86400\n", '  lag: 86400\n  min_rate: "30"\n  max_rate: "40"\n'),
     "fx.rate 22.50 is outside [30, 40]"),
    ("fx: [1]\n", "fx must be a mapping"),
    (GOOD.split("commodities:")[0], "an fx section without commodities converts nothing"),
    ("commodities:" + GOOD.split("commodities:")[1], "commodities need an fx section"),
    (GOOD.split("commodities:")[0] + "commodities: {symbol: X}\n",
     "commodities must be a non-empty list"),
    (_gold(decimals=None), "commodities[0]: missing ['decimals']"),
    (_gold(colour="gold"), "unknown ['colour']"),
    (_gold(decimals="three"), "commodities[0].decimals must be a whole number"),
    (_gold(decimals=19), "commodities[0].decimals 19 is outside [0, 18]"),
    (_gold(haircut_bps=9500), "commodities[0].haircut_bps 9500 is outside [0, 9000]"),
    (_gold(cap_bps=50), "commodities[0].cap_bps 50 is outside [100, 10000]"),
    (_gold(ceiling='"2000000000000000"'), "commodities[0].ceiling 2000000000000000 is outside"),
    (_gold(price="2400"), "commodities[0].price must be a quoted decimal string"),
    (_gold(**{"class": "METALS-AND-PRECIOUS-STONES-FOR-SURE"}), "must be ASCII, at most 31 bytes"),
    (_gold(attesters="custodian"), "commodities[0].attesters must be a list"),
    (_gold(attesters="[treasurer]"), "'treasurer' is neither an address nor a known label"),
    (_gold(attesters=f'["{A16.lower()}"]', threshold=1), "is not checksummed"),
    (_gold(attesters="[custodian, custodian]"), "attesters must be distinct"),
    (_gold(threshold=4), "commodities[0].threshold 4 is more than the 3 attesters"),
    (_gold(threshold=0), "commodities[0].threshold 0 is outside [1, 16]"),
    (_gold(threshold=None), "attesters need a threshold"),
    (_gold(custodians="[custodian]"), "commodities[0].custodians must be a mapping"),
    (_gold(custodians="{VAULT-CO: nobody}"), "custodians.VAULT-CO: 'nobody' is neither"),
    (GOOD + "  - {symbol: SGLD, name: G, unit: oz, decimals: 3, class: M, quote: XAU}\n",
     "commodities[2]: symbol 'SGLD' is listed twice"),
    (_gold(**{"class": "BILLS"}), "commodities[0].class 'BILLS' is a debt registry's class"),
    ('ceilings: {bills: "2000000000000000"}\n', "ceilings.bills 2000000000000000 is outside"),
    ("ceilings: {bills: 5}\n", "ceilings.bills must be a quoted decimal string"),
    ('ceilings: {notes: "5"}\n', "ceilings.notes"),
]  # fmt: skip


def test_debt_ceilings__read_from_the_file_or_defaulted(tmp_path):
    from decimal import Decimal

    loaded = load_deploy_config(_write(tmp_path, 'ceilings: {bills: "2000000000.5"}\n'))
    assert loaded.system.bills_ceiling == Decimal("2000000000.5")
    assert loaded.system.bonds_ceiling == Decimal("100000000000")


@pytest.mark.parametrize("text,message", BAD, ids=[f"bad-{i}" for i in range(len(BAD))])
def test_bad_sections__refused_in_one_line(tmp_path, text, message):
    with pytest.raises(InputError, match=message.replace("[", r"\[").replace("(", r"\(")) as err:
        load_deploy_config(_write(tmp_path, text))
    assert "\n" not in str(err.value)
