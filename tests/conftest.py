"""Fixtures shared by every layer: one session fixture per role, the deployed system.

ape's pytest plugin snapshots the chain around every fixture scope, so the
session-scoped deployment below runs once and each test starts from it.
"""

from __future__ import annotations

import warnings
import pytest

from sovereign.deploy import CollateralSpec, RoleHolders, SystemConfig, deploy_system

warnings.filterwarnings("ignore", category=DeprecationWarning)

FEED_DECIMALS = 8
ONE_DAY = 86_400


@pytest.fixture(scope="session")
def deployer(accounts):
    return accounts[0]


@pytest.fixture(scope="session")
def governor(accounts):
    return accounts[1]


@pytest.fixture(scope="session")
def minter(accounts):
    return accounts[2]


@pytest.fixture(scope="session")
def burner(accounts):
    return accounts[3]


@pytest.fixture(scope="session")
def guardian(accounts):
    return accounts[4]


@pytest.fixture(scope="session")
def compliance(accounts):
    return accounts[5]


@pytest.fixture(scope="session")
def reporter(accounts):
    return accounts[6]


@pytest.fixture(scope="session")
def reserve_manager(accounts):
    return accounts[7]


@pytest.fixture(scope="session")
def registrar(accounts):
    return accounts[8]


@pytest.fixture(scope="session")
def central_bank(accounts):
    return accounts[9]


@pytest.fixture(scope="session")
def exchange(accounts):
    """A licensed exchange (authorized participant)."""
    return accounts[10]


@pytest.fixture(scope="session")
def alice(accounts):
    return accounts[11]


@pytest.fixture(scope="session")
def bob(accounts):
    return accounts[12]


@pytest.fixture(scope="session")
def mallory(accounts):
    """Holds no role; tries everything."""
    return accounts[13]


@pytest.fixture(scope="session")
def holders(governor, minter, burner, guardian, compliance, reporter, reserve_manager,
            registrar, central_bank):
    return RoleHolders(
        governor=governor, minter=minter, burner=burner, guardian=guardian,
        compliance=compliance, oracle_reporter=reporter, reserve_manager=reserve_manager,
        registrar=registrar, central_bank=central_bank,
    )


@pytest.fixture(scope="session")
def config():
    return SystemConfig()


@pytest.fixture(scope="session")
def bond(project, deployer):
    """Tokenized sovereign bond used as collateral (18 decimals)."""
    return project.MockERC20.deploy("Sovereign Bond 2030", "SB30", 18, sender=deployer)


@pytest.fixture(scope="session")
def system(deployer, holders, config, bond, reporter):
    """The deployed system, with the bond listed as collateral (2% haircut, 1-day heartbeat)."""
    sys_ = deploy_system(
        deployer, holders, config,
        collateral=[CollateralSpec("SB30", bond, feed_decimals=FEED_DECIMALS, heartbeat=ONE_DAY)],
    )
    sys_.feeds["SB30"].report(10**FEED_DECIMALS, sender=reporter)  # 1 bond = 1.00 SHL
    return sys_

