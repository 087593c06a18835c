"""Facts written once in Solidity and mirrored once in Python agree.

- ``sovereign.roles.Role`` against contracts/governance/Roles.sol (internal constants,
  read from the source) and OpenZeppelin's ADMIN_ROLE / PUBLIC_ROLE;
- ``sovereign.pauses.Pause`` / ``VaultPause`` against the PAUSE_* constants;
- ``sovereign.limits`` against every other public constant (and OpenZeppelin
  AccessManager's expiration() and minSetback()).

Each contract of the deployed system (and a T-bill series) is read: a public constant
that no mirror names fails the test, so a constant added to a contract is mirrored too.
"""

import re
from decimal import Decimal

import pytest

from sovereign import limits
from sovereign.batch import ACTION_CODES
from sovereign.desk import STATE_CONSTANTS
from sovereign.inputs import InputError
from sovereign.pauses import Pause, VaultPause
from sovereign.roles import Role
from tests.utils import ROOT

PAUSES = {"SovereignStablecoin": Pause, "TBillVault": VaultPause}
# Upper-case views that are no constants: the EIP-712 domain separator depends on the chain.
NOT_CONSTANT = {"DOMAIN_SEPARATOR"}
ROLE_CONSTANTS = {"ADMIN_ROLE": Role.ADMIN, "PUBLIC_ROLE": Role.PUBLIC}


def _deployed(system, make_series) -> dict[str, object]:
    """One instance of each contract type the system deploys, by contract type name (and
    a T-bill and a bond series, which the registries create)."""
    out = {c.contract_type.name: c for c in system.contracts().values()}
    out["TBillSeries"] = make_series("MIRROR", 30)
    out["BondSeries"] = _bond_series(system)
    if "RedemptionDesk" not in out:  # the session's system leaves the desk out
        from ape import accounts

        from sovereign import artifacts

        out["RedemptionDesk"] = artifacts.container("RedemptionDesk").deploy(
            system.manager, system.reserve, sender=accounts.test_accounts[0]
        )
    return out


def _bond_series(system):
    """A five-year bond created through the bond registry by the debt office."""

    from ape import chain

    from sovereign import artifacts
    from sovereign.bondterms import BondTerms, timestamp_day
    from sovereign.deployphases import series_creation_code

    issue = timestamp_day(chain.pending_timestamp).replace(day=1)
    terms = BondTerms(
        "Mirror Bond",
        "SL0000000011",
        "eSHL",
        6,
        100 * 10**6,
        issue,
        issue.replace(year=issue.year + 1),
        issue.replace(year=issue.year + 5),
        coupon_rate=Decimal("0.05"),
    )
    registry = system.bond_registry
    receipt = registry.createSeries(
        terms.as_struct(), series_creation_code(), sender=system.holders.debt_office
    )
    created = receipt.events.filter(registry.SeriesCreated)[0].series
    return artifacts.at("BondSeries", created)


def _constants(contract) -> set[str]:
    """The contract's public constants: upper-case views without inputs."""
    return {
        m.name
        for m in contract.contract_type.view_methods
        if not m.inputs and re.fullmatch(r"[A-Z][A-Z0-9_]*", m.name) and m.name not in NOT_CONSTANT
    }


def test_python_roles_mirror_solidity(manager):
    text = (ROOT / "contracts/governance/Roles.sol").read_text()
    declared = {
        m[0]: int(m[1]) for m in re.findall(r"uint64 internal constant (\w+) = (\d+);", text)
    }
    assert declared == {r.name: int(r) for r in Role if r not in (Role.ADMIN, Role.PUBLIC)}
    for name, role in ROLE_CONSTANTS.items():
        assert getattr(manager, name)() == int(role), name


@pytest.mark.parametrize("contract_name", sorted(PAUSES))
def test_pause_flags_mirror_the_contracts(system, make_series, contract_name):
    contract = _deployed(system, make_series)[contract_name]
    flags = PAUSES[contract_name]
    on_chain = {
        name.removeprefix("PAUSE_"): getattr(contract, name)()
        for name in _constants(contract)
        if name.startswith("PAUSE_")
    }
    assert on_chain == {m.name: int(m) for m in flags}


def test_limits_mirror_the_contracts(system, make_series):
    deployed = _deployed(system, make_series)
    assert set(limits.MIRRORED) <= set(deployed), "a mirrored contract is not deployed"
    for name, contract in sorted(deployed.items()):
        mirrored = limits.MIRRORED.get(name, ())
        for mirror in mirrored:
            view = limits.VIEWS.get(mirror, mirror)
            on_chain = getattr(contract, view)()
            assert on_chain == getattr(limits, mirror), f"{name}.{view}() != limits.{mirror}"
        elsewhere = set(ROLE_CONSTANTS) if name == "SovereignAccessManager" else set()
        if name in PAUSES:
            elsewhere |= {c for c in _constants(contract) if c.startswith("PAUSE_")}
        if name == "RedemptionDesk":  # its request states (sovereign/desk.py)
            for constant, value in STATE_CONSTANTS.items():
                assert getattr(contract, constant)() == value, constant
            elsewhere |= set(STATE_CONSTANTS)
        if name == "Reserve":  # the instruction terms' action codes (sovereign/batch.py)
            for action, code in ACTION_CODES.items():
                assert getattr(contract, f"ACTION_{action.upper()}")() == code, action
            elsewhere |= {f"ACTION_{action.upper()}" for action in ACTION_CODES}
        unmirrored = _constants(contract) - set(mirrored) - elsewhere
        assert not unmirrored, f"{name}: public constants without a Python mirror: {unmirrored}"


def test_maturity_tiers_mirror_the_bond_registry(system):
    """BondRegistry.TIER_LIMITS is a public array (a view with an index, so not found by
    the constants' scan): each tier's bound, mirrored for the CLI's words."""
    registry = system.bond_registry
    assert tuple(registry.TIER_LIMITS(i) for i in range(4)) == limits.MATURITY_TIER_LIMITS


def test_bond_registry_takes_only_the_shipped_bond_series_code(system, project):
    """The deploy gives the registry the hash of BondSeries' creation code as shipped, which
    is the compiled one; ``bonds issue`` passes that code."""
    from eth_utils import keccak

    from sovereign.deployphases import series_code_hash, series_creation_code

    compiled = project.BondSeries.contract_type.deployment_bytecode.to_bytes()
    assert series_creation_code() == compiled
    assert bytes(system.bond_registry.seriesCodeHash()) == series_code_hash() == keccak(compiled)


def test_pause_flags__parsed_named_and_worded():
    assert Pause.parse("mint, Transfer") == Pause.MINT | Pause.TRANSFER
    assert (Pause.MINT | Pause.TRANSFER).names() == ["mint", "transfer"]
    assert (Pause.MINT | Pause.REDEEM).words == "minting and redemption"
    assert VaultPause.parse("withdraw").words == "withdrawals"
    assert Pause.known(8) is None and VaultPause.known(0) is None
    with pytest.raises(InputError, match="must be among deposit,withdraw; got 'mint'"):
        VaultPause.parse("mint")


def test_the_package_ships_the_compiled_contract_types(project):
    """``ape treasury`` deploys and reads through the package's exported types
    (sovereign.artifacts); they are the project's compile, ABI and bytecode alike."""
    from sovereign import artifacts

    for name in artifacts.EXPORTED:
        shipped, compiled = artifacts.contract_type(name), getattr(project, name).contract_type
        assert shipped.abi == compiled.abi, name
        assert shipped.deployment_bytecode == compiled.deployment_bytecode, name
        assert shipped.runtime_bytecode == compiled.runtime_bytecode, name
