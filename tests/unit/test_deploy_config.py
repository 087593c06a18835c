"""Deployment configuration files: every setting read exactly, bad ones refused in one line."""

from decimal import Decimal

import pytest

from sovereign.deploy import CASH, CollateralSpec
from sovereign.deployconfig import load_deploy_config
from sovereign.inputs import InputError
from sovereign.roles import HOLDER_LABELS
from tests.utils import ROOT


def test_the_shipped_local_config_loads():
    loaded = load_deploy_config(ROOT / "deploy" / "local.yaml")
    config, holders, collateral = loaded.system, loaded.holders, loaded.collateral
    assert config.min_collateral_ratio == Decimal("1.02")
    assert (config.stablecoin_symbol, config.cash_decimals, config.governor_delay) == (
        "SSHL",
        6,
        86_400,
    )
    assert holders is None
    assert (loaded.fx, loaded.commodities) == (None, [])
    assert collateral == [
        CollateralSpec(
            "eSHL",
            CASH,
            feed=None,
            feed_decimals=8,
            heartbeat=86_400,
            haircut_bps=0,
            initial_price=Decimal("1.00"),
        )
    ]


def test_collateral__token_address_and_feed(tmp_path):
    token = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8"
    path = tmp_path / "deploy.yaml"
    path.write_text(f'collateral:\n  - {{symbol: SB30, token: "{token}", haircut_bps: 500}}\n')
    (spec,) = load_deploy_config(path).collateral
    assert (spec.asset, spec.feed, spec.haircut_bps, spec.heartbeat) == (token, None, 500, 86_400)
    assert spec.concentration_cap_bps == 10_000


@pytest.mark.parametrize(
    "text,message",
    [
        ("stablecoin: {nmae: X}\n", "unknown setting 'stablecoin.nmae'"),
        ("min_collateral_ratio: 1.02\n", "must be a quoted decimal string"),
        ('min_collateral_ratio: "0.9"\n', "outside [1, 3]"),
        ("redemption_fee_bps: 500\n", "outside [0, 100]"),
        ("cash: {decimals: six}\n", "must be a whole number"),
        ('holders: {governor: "0x70997970C51812dc3A010C7d01b50e0d17dc79C8"}\n', "missing"),
        ("[1, 2]\n", "the top level must be a mapping"),
        ("a: [\n", "not valid YAML"),
        ("collateral: {symbol: X}\n", "collateral must be a list of assets"),
        ("collateral: [{symbol: X}]\n", "collateral[0]: missing ['token']"),
        ("collateral: [{symbol: X, token: cash, fee: 1}]\n", "unknown ['fee']"),
        ("collateral: [{symbol: X, token: cash, haircut_bps: 9500}]\n", "outside [0, 9000]"),
        ("collateral: [{symbol: X, token: cash, heartbeat: 30}]\n", "outside [60, 604800]"),
        ("collateral: [{symbol: X, token: cash}, {symbol: X, token: cash}]\n", "listed twice"),
        ("collateral: [{symbol: X, token: '0x1234'}]\n", "collateral[0]: "),
    ],
)
def test_bad_settings__refused_in_one_line(tmp_path, text, message):
    path = tmp_path / "deploy.yaml"
    path.write_text(text)
    with pytest.raises(InputError, match=message.replace("[", r"\[")) as err:
        load_deploy_config(path)
    assert "\n" not in str(err.value)


def test_holders__checksummed_addresses(tmp_path):
    labels = HOLDER_LABELS
    address = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8"
    path = tmp_path / "deploy.yaml"
    path.write_text("holders:\n" + "".join(f'  {label}: "{address}"\n' for label in labels))
    holders = load_deploy_config(path).holders
    assert set(holders) == set(labels)
    path.write_text(path.read_text().replace(address, address.lower(), 1))
    with pytest.raises(InputError, match="not checksummed"):
        load_deploy_config(path)
