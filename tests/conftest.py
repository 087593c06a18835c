"""Fixtures shared by every layer: one session fixture per role, the deployed system.

ape's pytest plugin snapshots the chain around every fixture scope, so the
session-scoped deployment below runs once and each test starts from it.
"""

from __future__ import annotations

import warnings
from decimal import Decimal
from pathlib import Path

import ape
import pytest
from hypothesis import HealthCheck, settings

from sovereign import apefix, artifacts
from sovereign.deploy import CollateralSpec, RoleHolders, SystemConfig, deploy_system
from sovereign.units import text_to_bytes32
from tests.utils import ref
from tests.utils.commodity import FX, commodity_specs
from tests.utils.constants import CASH, DAY, FEED_DECIMALS, PROFILE

apefix.apply_all()

# Hypothesis profiles: `quick` for make test (a few examples, the suite stays
# under 3 minutes), `deep` for make audit (SOVEREIGN_PROFILE=deep). Examples run
# against a chain, so no deadline; the database lives in .hypothesis/.
settings.register_profile(
    "quick",
    max_examples=6,
    stateful_step_count=12,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
)
settings.register_profile(
    "deep",
    max_examples=60,
    stateful_step_count=40,
    deadline=None,
    suppress_health_check=list(HealthCheck),
)
settings.load_profile(PROFILE)

warnings.filterwarnings("ignore", category=DeprecationWarning)


@pytest.fixture(scope="session", autouse=True)
def _shipped_artifacts(project):
    """deploy_system deploys the package's contract types (sovereign.artifacts): they
    are re-exported from this run's compile, so that a changed contract is what the
    tests deploy even when `make compile` was skipped."""
    project.load_contracts()
    artifacts.export(Path(project.path) / ".build" / "__local__.json")
    artifacts.contract_type.cache_clear()


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
def debt_office(accounts):
    return accounts[10]


@pytest.fixture(scope="session")
def vault_manager(accounts):
    return accounts[11]


@pytest.fixture(scope="session")
def commodity_office(accounts):
    return accounts[18]  # as in deploy.local_role_holders


@pytest.fixture(scope="session")
def custodian(accounts):
    return accounts[19]


@pytest.fixture(scope="session")
def exchange(accounts):
    """A licensed exchange (authorized participant)."""
    return accounts[12]


@pytest.fixture(scope="session")
def alice(accounts):
    return accounts[13]


@pytest.fixture(scope="session")
def bob(accounts):
    return accounts[14]


@pytest.fixture(scope="session")
def mallory(accounts):
    """Holds no role; tries everything."""
    return accounts[15]


@pytest.fixture(scope="session")
def holders(
    governor,
    minter,
    burner,
    guardian,
    compliance,
    reporter,
    reserve_manager,
    registrar,
    central_bank,
    debt_office,
    vault_manager,
    commodity_office,
    custodian,
):
    return RoleHolders(
        governor=governor,
        minter=minter,
        burner=burner,
        guardian=guardian,
        compliance=compliance,
        oracle_reporter=reporter,
        reserve_manager=reserve_manager,
        registrar=registrar,
        central_bank=central_bank,
        debt_office=debt_office,
        vault_manager=vault_manager,
        commodity_office=commodity_office,
        custodian=custodian,
    )


@pytest.fixture(scope="session")
def config():
    """The session's system without the redemption desk: these suites test the reserve's
    own redemption rules (participants redeem at it directly). The brake's suites
    (tests/redemption, tests/audit/test_desk_*) deploy a system with it, as production
    does by default (``SystemConfig.redemption_desk``)."""
    return SystemConfig(redemption_desk=False)


@pytest.fixture(scope="session")
def bond(project, deployer):
    """Tokenized sovereign bond used as collateral (18 decimals)."""
    return project.MockERC20.deploy("Sovereign Bond 2030", "SB30", 18, sender=deployer)


@pytest.fixture(scope="session")
def system(deployer, holders, config, bond, reporter, central_bank, registrar, exchange, accounts):
    """The deployed system, funded, as every test starts from it:
    - the bond listed as collateral (2% haircut, 1-day heartbeat), priced 1.00;
    - gold (SGLD) and crude (SOIL) commodity tokens listed, none minted yet; their
      attesters the custodian and accounts 16 and 17, two to sign (tests.utils.commodity);
    - the reserve holds 1,020,000 SB30 (counted 999,600) and 500,000 cash;
    - the exchange is a licensed participant.
    (Session-scoped: ape reverts each test to this state.)"""
    sys_ = deploy_system(
        deployer,
        holders,
        config,
        collateral=[
            CollateralSpec(
                "SB30",
                bond,
                feed_decimals=FEED_DECIMALS,
                heartbeat=DAY,
                initial_price=Decimal("1.00"),  # round 1, forced at deployment
            )
        ],
        commodities=commodity_specs([holders.custodian, accounts[16], accounts[17]]),
        fx=FX,
    )
    bond.mint(sys_.reserve, 1_020_000 * 10**18, sender=deployer)
    sys_.cash.mint(sys_.reserve, 500_000 * 10**6, sender=central_bank)
    sys_.reserve.registerParticipant(exchange, text_to_bytes32("LIC-1"), sender=registrar)
    return sys_


@pytest.fixture(scope="session")
def coin(system):
    return system.stablecoin


@pytest.fixture(scope="session")
def reserve(system):
    return system.reserve


@pytest.fixture(scope="session")
def manager(system):
    return system.manager


@pytest.fixture(scope="session")
def cash(system):
    return system.cash


@pytest.fixture(scope="session")
def bond_feed(system):
    return system.feeds["SB30"]


@pytest.fixture(scope="session")
def gov(system, governor):
    """Call a governor-restricted function through its delay: gov(contract, "fn", *args)."""
    from sovereign import governance

    def call(contract, method, *args, sender=None):
        return governance.call(
            system.manager, contract, method, *args, sender=sender or governor, travel=True
        )

    return call


@pytest.fixture(scope="session")
def refresh(system, reporter):
    """Re-report the bond at 1.00 (after time travel made its answer stale)."""

    def report():
        system.feeds["SB30"].report(10**FEED_DECIMALS, sender=reporter)

    return report


# State-changing set-ups are function-scoped: ape reverts each test to the state
# its session fixtures left, so a session fixture first used mid-run would leak
# into every later test.
@pytest.fixture
def minted(system, minter, exchange):
    """`system`, plus 500,000 SSHL minted to the exchange."""
    system.reserve.mint(exchange, 500_000 * 10**18, ref("SETUP-MINT"), sender=minter)
    return system


# ---------------------------------------------------------------- T-bills


@pytest.fixture(scope="session")
def registry(system):
    return system.registry


@pytest.fixture(scope="session")
def vault(system):
    return system.vault


@pytest.fixture(scope="session")
def make_series(project, registry, debt_office):
    """Create a series maturing `days` from now, face 1.00 cash per whole token (6 decimals),
    with an auction open at `price` (cash units per whole token) for `offered` tokens."""

    def make(code: str, days: int, price: int = 980_000, offered: int = 10**12):
        now = ape.chain.pending_timestamp
        receipt = registry.createSeries(code, 6, CASH, now, now + days * DAY, sender=debt_office)
        series = project.TBillSeries.at(receipt.events.filter(registry.SeriesCreated)[0].series)
        registry.openAuction(series, price, offered, sender=debt_office)
        return series

    return make


@pytest.fixture
def investors(system, vault, cash, compliance, central_bank, alice, bob):
    """alice and bob are KYC-allowlisted and each hold 1,000,000 cash, approved to the vault."""
    for who in (alice, bob):
        vault.setAllowlisted(
            who, True, text_to_bytes32("KYC-" + who.address[2:8]), sender=compliance
        )
        cash.mint(who, 1_000_000 * CASH, sender=central_bank)
        cash.approve(vault, 2**256 - 1, sender=who)
    return alice, bob


def pytest_collection_finish(session):
    """A test module must not redefine a session fixture of this conftest under the same
    name: ape's chain isolation tracks fixtures by name, and a module-scoped `system`
    torn down reverted the session's deployment away for every later test on that
    worker (seen: unmapped functions, missing balances, in unrelated unit tests)."""
    here = __file__
    clashes = []
    for name, defs in session._fixturemanager._arg2fixturedefs.items():
        ours = [d for d in defs if d.scope == "session" and _defined_here(d)]
        others = [d for d in defs if not _defined_here(d)]
        if ours and others:
            clashes.append(f"{name} (redefined in {others[0].baseid or '?'})")
    if clashes:
        raise pytest.UsageError(
            f"test modules redefine session fixtures of {here}: {', '.join(clashes)}"
        )


def _defined_here(fixturedef) -> bool:
    import inspect

    try:
        return inspect.getsourcefile(inspect.unwrap(fixturedef.func)) == __file__
    except TypeError:
        return False
