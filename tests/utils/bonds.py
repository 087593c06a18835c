"""Deploying bond series for the bond tests: directly, with a test account as registry.

A series trusts whoever created it as its registry; the bond-maths and property
tests create series from an account so that they can open auctions and calls
without the AccessManager in the way (the registry's own wiring is tested in
tests/bonds/test_bond_registry.py).
"""

from __future__ import annotations

import dataclasses

from sovereign.bondterms import BondTerms


def deploy_series(project, registry_account, cash, treasury, terms: BondTerms):
    return registry_account.deploy(project.BondSeries, terms.as_struct(), cash, treasury)


def with_terms(terms: BondTerms, **changes) -> BondTerms:
    return dataclasses.replace(terms, **changes)


def deploy_bond_registry(project, admin, manager, cash, treasury, code_hash, ceiling=None):
    """A BondRegistry outside the deployed system, on `manager` (whose admin is `admin`),
    with its own ProgramCeilings: the BONDS ceiling at `ceiling` wad (the most the
    contract allows when None) and the registry granted the issuer role there."""
    from sovereign.roles import Role
    from sovereign.units import text_to_bytes32

    ceilings = admin.deploy(project.ProgramCeilings, manager)
    registry = admin.deploy(
        project.BondRegistry, manager, cash, treasury, code_hash, ceilings, text_to_bytes32("BONDS")
    )
    cap = ceilings.MAX_CEILING_WAD() if ceiling is None else ceiling
    ceilings.setCeiling(text_to_bytes32("BONDS"), cap, sender=admin)
    methods = ceilings.contract_type.mutable_methods
    from eth_utils import keccak

    selectors = [keccak(text=methods[n].selector)[:4] for n in ("recordIssue",)]
    manager.setTargetFunctionRole(ceilings, selectors, Role.PROGRAM_ISSUER, sender=admin)
    manager.grantRole(Role.PROGRAM_ISSUER, registry, 0, sender=admin)
    return registry
