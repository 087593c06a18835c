"""Deploy and wire the whole system; shared by ``scripts/deploy.py``, the demo and the tests.

Order of events (every step is a transaction the manifest can record):
  1. the AccessManager, with the deployer as its temporary admin;
  2. settlement cash (unless an existing token is given), stablecoin, reserve,
     T-bill registry, T-bill vault, the feed that prices vault shares and an
     oracle stub per collateral asset without a feed of its own;
  3. the stablecoin's one-time wiring to the reserve;
  4. initial parameters (the reserve on the vault's allowlist, the collateral
     list, fee, minter allowance), called by the deployer as admin while no
     function is mapped to a role yet (an unmapped function is the admin's): the
     deployer never holds an operating role, which the AccessManager would refuse
     to the admin anyway (separation of duties);
  5. every function's role (``roles.FUNCTION_ROLES``) and the role labels;
  6. the role holders' grants (the governor's with its execution delay);
  7. the deployer proposes the governor as admin, with the admin delay; the
     governor accepts when its key is at hand (always on local chains).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal

from ape import project

from sovereign.deploysteps import DeployJournal
from sovereign.governance import selector
from sovereign.roles import FUNCTION_ROLES, Role
from sovereign.units import BPS, wad

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
        }


def local_role_holders(test_accounts) -> tuple[object, RoleHolders, list]:
    """The local-chain layout: account 0 deploys, 1-11 hold the roles in
    ``RoleHolders`` order, 12 and up are free (exchanges, investors)."""
    test = list(test_accounts)
    return test[0], RoleHolders(*test[1:12]), test[12:]


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

    def contracts(self) -> dict[str, object]:
        named = {
            "SovereignAccessManager": self.manager,
            "SettlementCash": self.cash,
            "SovereignStablecoin": self.stablecoin,
            "Reserve": self.reserve,
            "TBillRegistry": self.registry,
            "TBillVault": self.vault,
            "VaultNavFeed": self.vault_feed,
        }
        named = {k: v for k, v in named.items() if v is not None}
        named.update({f"feed:{k}": v for k, v in self.feeds.items()})
        return named


def _address(holder) -> str:
    return getattr(holder, "address", holder)


def _delay_for(role: Role, config: SystemConfig) -> int:
    return config.governor_delay if role is Role.GOVERNOR else 0


def wire_functions(manager, contract, name: str, sender, steps: DeployJournal) -> None:
    """Map each function of ``contract`` to its role (grouped per role: one tx each)."""
    by_role: dict[Role, list[bytes]] = {}
    for method, role in FUNCTION_ROLES[name].items():
        by_role.setdefault(role, []).append(selector(contract, method))
    for role, selectors in by_role.items():
        steps.run(
            f"setTargetFunctionRole {name} {role.label}",
            sender,
            lambda s=selectors, r=role: manager.setTargetFunctionRole(
                contract.address, s, int(r), sender=sender
            ),
            None,
        )


def deploy_system(
    deployer,
    holders: RoleHolders,
    config: SystemConfig | None = None,
    *,
    cash_address: str | None = None,
    collateral: list[CollateralSpec] = (),
    accept_admin: bool = True,
    journal: DeployJournal | None = None,
) -> System:
    """Deploy and wire the system; see the module docstring for the order.

    With a ``journal`` (``deploysteps.DeployJournal``) every step is recorded as it
    is sent, and a journal of an interrupted deploy replays its done steps
    without sending them again."""
    config = config or SystemConfig()
    steps = journal or DeployJournal(None, {})

    def deploy(name: str, *args, label: str | None = None):
        return steps.run(
            label or f"deploy {name}",
            deployer,
            lambda: getattr(project, name).deploy(*args, sender=deployer),
            name,
        )

    def send(label: str, call: Callable[[], object], sender=deployer):
        return steps.run(label, sender, call, None)

    manager = deploy("SovereignAccessManager", deployer.address)
    if cash_address is None:
        cash = deploy(
            "SettlementCash",
            config.cash_name,
            config.cash_symbol,
            config.cash_decimals,
            manager.address,
        )
    else:
        cash = project.SettlementCash.at(cash_address)
    stablecoin = deploy(
        "SovereignStablecoin", config.stablecoin_name, config.stablecoin_symbol, manager.address
    )
    reserve = deploy(
        "Reserve",
        manager.address,
        stablecoin.address,
        cash.address,
        wad(config.min_collateral_ratio),
    )
    send("setReserve", lambda: stablecoin.setReserve(reserve.address, sender=deployer))

    registry = deploy(
        "TBillRegistry", manager.address, cash.address, config.treasury or deployer.address
    )
    vault = deploy(
        "TBillVault",
        manager.address,
        cash.address,
        registry.address,
        stablecoin.address,
        config.vault_name,
        config.vault_symbol,
    )
    vault_feed = deploy("VaultNavFeed", vault.address)
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
    )
    feeds = [_collateral_feed(spec, manager, config, deploy, system) for spec in collateral]

    _initial_parameters(system, collateral, feeds, send, deployer)

    if cash_address is None:
        wire_functions(manager, cash, "SettlementCash", deployer, steps)
    wire_functions(manager, stablecoin, "SovereignStablecoin", deployer, steps)
    wire_functions(manager, reserve, "Reserve", deployer, steps)
    wire_functions(manager, registry, "TBillRegistry", deployer, steps)
    wire_functions(manager, vault, "TBillVault", deployer, steps)
    for feed in system.feeds.values():
        wire_functions(manager, feed, "ReportedPriceFeed", deployer, steps)
    for role in Role:
        if role not in (Role.ADMIN, Role.PUBLIC):
            send(
                f"labelRole {role.label}",
                lambda r=role: manager.labelRole(int(r), r.label, sender=deployer),
            )

    for role, holder in holders.by_role().items():
        if role is Role.CENTRAL_BANK and cash_address is not None:
            continue  # an existing cash token has its own central bank
        send(
            f"grantRole {role.label} {_address(holder)}",
            lambda r=role, h=holder: manager.grantRole(
                int(r), _address(h), _delay_for(r, config), sender=deployer
            ),
        )

    send(
        "beginAdminTransfer",
        lambda: manager.beginAdminTransfer(
            _address(holders.governor), config.admin_delay, sender=deployer
        ),
    )
    if accept_admin:
        send(
            "acceptAdminTransfer",
            lambda: manager.acceptAdminTransfer(sender=holders.governor),
            sender=holders.governor,
        )
    return system


def _collateral_feed(spec: CollateralSpec, manager, config: SystemConfig, deploy, system):
    """The spec's own feed, or a new oracle stub (kept in ``system.feeds``) for it."""
    if spec.feed is not None:
        return spec.feed
    description = f"{spec.symbol} / {config.stablecoin_symbol}"
    feed = deploy(
        "ReportedPriceFeed",
        manager.address,
        spec.feed_decimals,
        description,
        config.feed_max_deviation_bps,
        config.feed_deviation_window,
        label=f"deploy ReportedPriceFeed {description}",
    )
    system.feeds[spec.symbol] = feed  # a stub the oracle reporter reports to
    return feed


def _initial_price(spec: CollateralSpec, feed, send, deployer) -> None:
    """The stub's first answer, forced by the deployer as admin (the feed is not wired yet)."""
    if spec.feed is None and spec.initial_price is not None:
        answer = int(spec.initial_price.scaleb(spec.feed_decimals))
        send(
            f"forceReport {spec.symbol}",
            lambda: feed.forceReport(answer, sender=deployer),
        )


def _initial_parameters(system: System, collateral, feeds, send, deployer) -> None:
    """Step 4: the parameters the deployer sets as admin before any function is mapped."""
    config, reserve, vault = system.config, system.reserve, system.vault
    # The reserve holds vault shares as collateral, so it must pass the vault's KYC.
    send(
        "setAllowlisted reserve",
        lambda: vault.setAllowlisted(
            reserve.address, True, b"RESERVE".ljust(32, b"\0"), sender=deployer
        ),
    )
    send(
        "setCollateral vault shares",
        lambda: reserve.setCollateral(
            vault.address,
            system.vault_feed.address,
            3_600,
            config.vault_share_haircut_bps,
            config.vault_share_cap_bps,
            sender=deployer,
        ),
    )
    for spec, feed in zip(collateral, feeds, strict=True):
        _initial_price(spec, feed, send, deployer)
        asset = system.cash if spec.asset == CASH else spec.asset
        send(
            f"setCollateral {spec.symbol}",
            lambda a=asset, f=feed, c=spec: reserve.setCollateral(
                _address(a),
                _address(f),
                c.heartbeat,
                c.haircut_bps,
                c.concentration_cap_bps,
                sender=deployer,
            ),
        )
    if config.redemption_fee_bps:
        send(
            "setRedemptionFee",
            lambda: reserve.setRedemptionFee(config.redemption_fee_bps, sender=deployer),
        )
    send(
        "setMinterAllowance",
        lambda: reserve.setMinterAllowance(
            _address(system.holders.minter), wad(config.minter_allowance), sender=deployer
        ),
    )
