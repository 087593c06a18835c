"""Deploy and wire the whole system; shared by ``scripts/deploy.py``, the demo and the tests.

``deploy_system`` runs the seven phases of ``sovereign.deployphases`` in order (the
AccessManager; settlement cash and the stablecoin; the reserve; the T-bill registry,
vault and NAV feed, and the bond registry; oracle stubs for the collateral; the initial
parameters, set while no function is mapped to a role; the permissions and the admin
hand-over). Every step is a transaction the deploy journal and the manifest record.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from sovereign import deploycommodity, deploydesk
from sovereign import deployphases as phase
from sovereign.deploysteps import DeployJournal
from sovereign.roles import Role
from sovereign.units import BPS

# Stands for the system's own settlement cash in a CollateralSpec (it is deployed
# inside deploy_system, so callers cannot name it beforehand).
CASH = "cash"


@dataclass(frozen=True)
class CollateralSpec:
    """One collateral asset: the token, its price feed, and the governance parameters.

    Without ``feed`` a ReportedPriceFeed (the oracle stub) with ``feed_decimals``
    is deployed and wired for it; with one (a real AggregatorV3 feed) it is used.
    """

    symbol: str
    asset: object  # an ape contract instance (ERC-20), or CASH
    feed: object | None = None
    feed_decimals: int = 8
    heartbeat: int = 86_400  # seconds
    haircut_bps: int = 200
    concentration_cap_bps: int = BPS
    # The first answer of a deployed oracle stub [unit of account per whole asset],
    # forced by the deployer before the stub is wired (ReportedPriceFeed.report refuses
    # a first answer: nothing would bound it). None leaves the stub without an answer
    # (the asset counts zero) until the governor forces one.
    initial_price: Decimal | None = None

    def asset_for(self, cash) -> object:
        """The asset to list: the system's own settlement cash ``cash`` for ``CASH``."""
        return cash if self.asset == CASH else self.asset


@dataclass
class SystemConfig:
    stablecoin_name: str = "Sovereign Shilling"
    stablecoin_symbol: str = "SSHL"
    cash_name: str = "Digital Shilling (CBDC pilot)"
    cash_symbol: str = "eSHL"
    cash_decimals: int = 6
    min_collateral_ratio: Decimal = Decimal("1.02")
    redemption_fee_bps: int = 0
    # Execution delays [seconds] of the governor's two roles: parameter changes
    # and role grants are public for this long before they can run.
    governor_delay: int = 86_400
    admin_delay: int = 86_400
    feed_max_deviation_bps: int = 1_000
    # The oracle stubs' deviation bound holds over this sliding window [seconds].
    feed_deviation_window: int = 86_400
    minter_allowance: Decimal = Decimal("1000000000")
    # T-bill vault: its shares count as reserve collateral with this haircut.
    vault_name: str = "Sovereign T-Bill Fund"
    vault_symbol: str = "STBF"
    vault_share_haircut_bps: int = 100
    vault_share_cap_bps: int = BPS
    # Where T-bill auction proceeds go; the deployer when not given.
    treasury: str | None = None
    # The program ceilings of the debt registries' classes (BILLS, BONDS) at face value
    # [peg currency]; the governor changes them later (ProgramCeilings.setCeiling).
    bills_ceiling: Decimal = Decimal("100000000000")
    bonds_ceiling: Decimal = Decimal("100000000000")
    # The bank-run brake (RedemptionDesk, sovereign.deploydesk): redemptions pass
    # through its outflow limits and pro-rata queue. Off: participants redeem at the
    # reserve directly.
    redemption_desk: bool = True


@dataclass
class RoleHolders:
    """Accounts (or addresses) holding each role after deployment."""

    governor: object
    minter: object
    burner: object
    guardian: object
    compliance: object
    oracle_reporter: object
    reserve_manager: object
    registrar: object
    central_bank: object
    debt_office: object
    vault_manager: object
    commodity_office: object
    custodian: object

    def by_role(self) -> dict[Role, object]:
        return {
            Role.GOVERNOR: self.governor,
            Role.MINTER: self.minter,
            Role.BURNER: self.burner,
            Role.GUARDIAN: self.guardian,
            Role.COMPLIANCE: self.compliance,
            Role.ORACLE_REPORTER: self.oracle_reporter,
            Role.RESERVE_MANAGER: self.reserve_manager,
            Role.REGISTRAR: self.registrar,
            Role.CENTRAL_BANK: self.central_bank,
            Role.DEBT_OFFICE: self.debt_office,
            Role.VAULT_MANAGER: self.vault_manager,
            Role.COMMODITY_OFFICE: self.commodity_office,
            Role.CUSTODIAN: self.custodian,
        }


def local_role_holders(test_accounts) -> tuple[object, RoleHolders, list]:
    """The local-chain layout: account 0 deploys, 1-11 hold the first eleven roles in
    ``RoleHolders`` order, 18 and 19 the commodity office and the custodian (added
    later, at the end, so that 12-17 stay where they were: exchanges, investors)."""
    test = list(test_accounts)
    return test[0], RoleHolders(*test[1:12], test[18], test[19]), test[12:18]


@dataclass
class System:
    manager: object
    cash: object
    stablecoin: object
    reserve: object
    config: SystemConfig
    holders: RoleHolders
    registry: object = None
    vault: object = None
    vault_feed: object = None
    feeds: dict[str, object] = field(default_factory=dict)
    bond_registry: object = None
    # A listed bond's BondValueFeed by ISIN (``ape treasury bonds feeds``; its clean
    # price feed is ``feeds[ISIN]``).
    bond_feeds: dict[str, object] = field(default_factory=dict)
    # Commodity reserves (sovereign.deploycommodity), when the deployment has any.
    commodity: object = None
    # The program ceilings per asset class (debt registries and commodity tokens).
    ceilings: object = None
    # The redemption desk (the bank-run brake), when the deployment has one.
    desk: object = None

    def contracts(self) -> dict[str, object]:
        named = {
            "SovereignAccessManager": self.manager,
            "SettlementCash": self.cash,
            "SovereignStablecoin": self.stablecoin,
            "Reserve": self.reserve,
            "ProgramCeilings": self.ceilings,
            "TBillRegistry": self.registry,
            "TBillVault": self.vault,
            "VaultNavFeed": self.vault_feed,
            "BondRegistry": self.bond_registry,
            "RedemptionDesk": self.desk,
        }
        named = {k: v for k, v in named.items() if v is not None}
        named.update({f"feed:{k}": v for k, v in self.feeds.items()})
        named.update({f"bond-feed:{k}": v for k, v in self.bond_feeds.items()})
        if self.commodity is not None:
            named.update(self.commodity.contracts())
        return named


def deploy_system(
    deployer,
    holders: RoleHolders,
    config: SystemConfig | None = None,
    *,
    cash_address: str | None = None,
    collateral: list[CollateralSpec] = (),
    commodities: list = (),
    fx=None,
    accept_admin: bool = True,
    journal: DeployJournal | None = None,
) -> System:
    """Deploy and wire the system, phase by phase (see ``sovereign.deployphases``).

    With a ``journal`` (``deploysteps.DeployJournal``) every step is recorded as it
    is sent, and a journal of an interrupted deploy replays its done steps
    without sending them again. ``commodities`` (``deploycommodity.CommoditySpec``) add
    the commodity reserves, converted into the peg currency through ``fx``
    (``deploycommodity.FxSpec``)."""
    config = config or SystemConfig()
    run = phase.Deployment(deployer, journal or DeployJournal(None, {}))
    manager = phase.deploy_access_manager(run)
    cash, stablecoin = phase.deploy_cash_and_stablecoin(run, config, manager, cash_address)
    reserve = phase.deploy_reserve(run, config, manager, stablecoin, cash)
    ceilings = phase.deploy_program_ceilings(run, manager)
    registry, vault, vault_feed = phase.deploy_tbill_vault(
        run, config, manager, cash, stablecoin, ceilings
    )
    bond_registry = phase.deploy_bond_registry(run, config, manager, cash, ceilings)
    system = System(
        manager,
        cash,
        stablecoin,
        reserve,
        config,
        holders,
        registry=registry,
        vault=vault,
        vault_feed=vault_feed,
        bond_registry=bond_registry,
        ceilings=ceilings,
    )
    collateral = list(collateral)
    if commodities:
        book = deploycommodity.deploy_commodities(
            run, system, fx or deploycommodity.FxSpec(), list(commodities)
        )
        system.commodity = book
        collateral += deploycommodity.collateral_specs(book)
    if config.redemption_desk:
        system.desk = deploydesk.deploy_desk(run, system)
    feeds = phase.deploy_collateral_feeds(run, system, collateral)
    phase.set_initial_parameters(run, system, collateral, feeds)
    if system.commodity is not None:
        deploycommodity.set_commodity_parameters(run, system.commodity)
    if system.desk is not None:
        deploydesk.set_desk_parameters(run, system)
    phase.grant_permissions(run, system, own_cash=cash_address is None, accept_admin=accept_admin)
    return system
