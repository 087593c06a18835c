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
