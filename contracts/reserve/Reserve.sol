// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {AccessManaged} from "@openzeppelin/contracts/access/manager/AccessManaged.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {IERC20Metadata} from "@openzeppelin/contracts/token/ERC20/extensions/IERC20Metadata.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";
import {AggregatorV3Interface} from "../interfaces/AggregatorV3Interface.sol";
import {IRedemptionDesk} from "../interfaces/IRedemptionDesk.sol";
import {SovereignStablecoin} from "../token/SovereignStablecoin.sol";

/// @title Reserve
/// @notice The issuance desk. It holds the collateral (tokenized government debt,
/// vault shares, commodity tokens, settlement cash), values it on-chain, and is the
/// only minter and burner of the stablecoin.
/// @dev The invariant, in plain words: after every mint,
///     stablecoin.totalSupply() <= collateralValue() * WAD / minCollateralRatioWad
/// where collateralValue() is the haircut, concentration-capped value of what the
/// reserve holds, priced by fresh, positive feeds (an asset without such a price
/// counts zero). Price moves after a mint can break it; minting then stops until
/// collateral is added or prices recover.
/// Units: amounts of the stablecoin and every value are WADs (18 decimals) of the
/// unit of account; ratios are WADs (1.02e18 = 102%); haircuts, caps and fees are
/// basis points; heartbeats are seconds.
contract Reserve is AccessManaged, ReentrancyGuardTransient {
    using SafeERC20 for IERC20;

    // ================================================================ errors

    /// @dev The post-mint ratio `ratioWad` would be below `minimumWad`.
    error ReserveCollateralRatioTooLow(
        uint256 ratioWad, uint256 minimumWad, uint256 collateralValueWad, uint256 supplyAfter
    );
    /// @dev The instruction id was used before (or is zero).
    error ReserveInstructionAlreadyExecuted(bytes32 instructionId);
    /// @dev The instruction id is zero.
    error ReserveInvalidInstructionId();
    /// @dev `minter` asked for `amount` with only `allowance` left.
    error ReserveMinterAllowanceExceeded(address minter, uint256 amount, uint256 allowance);
    /// @dev `account` is not a registered authorized participant.
    error ReserveNotParticipant(address account);
    /// @dev `account` is already registered.
    error ReserveAlreadyParticipant(address account);
    /// @dev A zero amount.
    error ReserveZeroAmount();
    /// @dev `amount` is below one unit of the settlement cash (`unit` stablecoin units).
    error ReserveAmountBelowCashUnit(uint256 amount, uint256 unit);
    /// @dev Redeeming `amount` would pay nothing: the fee `fee` takes every cash unit of it.
    error ReserveRedemptionPaysNothing(uint256 amount, uint256 fee);
    /// @dev The reserve holds `available` cash, short of the `required` payout.
    error ReserveInsufficientCash(uint256 required, uint256 available);
    /// @dev A governance parameter `name` was set to `value`, outside [`min`, `max`].
    error ReserveParameterOutOfBounds(bytes32 name, uint256 value, uint256 min, uint256 max);
    /// @dev `asset` is not a listed collateral asset.
    error ReserveUnknownCollateral(address asset);
    /// @dev The collateral list is full (`max` assets).
    error ReserveTooManyAssets(uint256 max);
    /// @dev An address argument is zero or otherwise unusable.
    error ReserveInvalidAddress(address account);
    /// @dev Redemption goes through the redemption desk (the bank-run brake) once one is named.
    error ReserveRedeemThroughDesk(address caller, address desk);
    /// @dev The desk `desk` still has requests queued: it cannot be replaced or removed.
    error ReserveDeskQueueNotEmpty(address desk);

    // ================================================================ events

    /// @notice `minter` minted `amount` to `to` under `instructionId`, leaving the ratio at `ratioWad`.
    event Minted(bytes32 indexed instructionId, address indexed minter, address indexed to, uint256 amount, uint256 ratioWad);
    /// @notice `burner` burned `amount` of the treasury's stablecoin under `instructionId`.
    event Burned(bytes32 indexed instructionId, address indexed burner, uint256 amount);
    /// @notice `participant` redeemed `amount` stablecoin for `cashPaid` cash, with `cashFee` kept as fee.
    event Redeemed(
        bytes32 indexed instructionId, address indexed participant, uint256 amount, uint256 cashPaid, uint256 cashFee
    );
    /// @notice `asset` was listed or re-configured.
    event CollateralConfigured(
        address indexed asset, address indexed feed, uint32 heartbeat, uint16 haircutBps, uint16 concentrationCapBps
    );
    /// @notice `asset` was removed from the collateral list.
    event CollateralRemoved(address indexed asset);
    /// @notice `amount` of `asset` left the reserve for `to`.
    event CollateralWithdrawn(address indexed asset, address indexed to, uint256 amount);
    /// @notice The minimum collateral ratio changed.
    event MinCollateralRatioSet(uint256 previousWad, uint256 newWad);
    /// @notice The redemption fee changed.
    event RedemptionFeeSet(uint256 previousBps, uint256 newBps);
    /// @notice `minter`'s remaining allowance was set to `allowance`.
    event MinterAllowanceSet(address indexed minter, uint256 allowance);
    /// @notice `account` was licensed as an authorized participant under `licenseRef`.
    event ParticipantRegistered(address indexed account, bytes32 indexed licenseRef);
    /// @notice `account`'s licence was withdrawn, for `reasonRef`.
    event ParticipantRemoved(address indexed account, bytes32 indexed reasonRef);
    /// @notice Redemption now goes through `desk` (zero: participants redeem here directly).
    event RedemptionDeskSet(address indexed previous, address indexed desk);

    // ================================================================ constants

    uint256 private constant WAD = 1e18;
    uint256 private constant BPS = 10_000;
    /// @dev 100%: below par the coin is not fully backed by definition.
    uint256 public constant MIN_RATIO_FLOOR_WAD = 1e18;
    /// @dev 300%: above it issuance is pointless; the bound keeps a typo from halting minting.
    uint256 public constant MIN_RATIO_CEILING_WAD = 3e18;
    /// @dev 90%: an asset worth less than a tenth of its price should be de-listed instead.
    uint16 public constant MAX_HAIRCUT_BPS = 9_000;
    /// @dev 1%: a smaller cap is a de-listing in disguise.
    uint16 public constant MIN_CONCENTRATION_CAP_BPS = 100;
    /// @dev One minute: tighter than block times on most chains.
    uint32 public constant MIN_HEARTBEAT = 60;
    /// @dev Seven days: T-bill and commodity marks are at least weekly.
    uint32 public constant MAX_HEARTBEAT = 7 days;
    /// @dev 1%: redemption at par is the promise; a larger fee breaks it.
    uint16 public constant MAX_REDEMPTION_FEE_BPS = 100;
    /// @dev Bounds the gas of every valuation (each asset costs three calls).
    uint256 public constant MAX_ASSETS = 20;
    /// @notice The action codes of {instructionTermsHash}.
    uint8 public constant ACTION_MINT = 1;
    uint8 public constant ACTION_BURN = 2;
    /// @dev Decimals beyond this make the scaling factors overflow-prone.
    uint8 private constant MAX_DECIMALS = 36;
    /// @dev Answers above this are treated as invalid rather than risking overflow.
    uint256 private constant MAX_ANSWER = type(uint128).max;

    // ================================================================ storage

    struct CollateralConfig {
        AggregatorV3Interface feed; // price of one whole asset in the unit of account
        uint32 heartbeat; // [seconds] oldest acceptable answer
        uint16 haircutBps; // [bps] value not counted
        uint16 concentrationCapBps; // [bps] largest share of the total haircut value counted
        uint8 assetDecimals; // read from the asset at listing
        bool listed;
    }

    /// @notice The stablecoin this reserve issues.
    SovereignStablecoin public immutable stablecoin;
    /// @notice The settlement cash paid out on redemption.
    IERC20 public immutable cash;
    /// @notice Stablecoin units per smallest unit of cash (10**(18 - cash decimals)).
    uint256 public immutable cashUnit;

    /// @notice The minimum collateral ratio after a mint [wad].
    uint256 public minCollateralRatioWad;
    /// @notice The redemption fee [bps], kept by the reserve in cash.
    uint256 public redemptionFeeBps;
    /// @notice Remaining mint allowance per minter [stablecoin units].
    mapping(address minter => uint256) public minterAllowance;
    /// @notice Whether `account` is a licensed authorized participant.
    mapping(address account => bool) public isParticipant;
    /// @notice The redemption desk (the bank-run brake), when named: the only caller of
    /// {redeem}. Zero: every participant redeems here directly.
    address public redemptionDesk;

    address[] private _assets;
    mapping(address asset => CollateralConfig) private _collateral;
    // Two namespaces that never meet: treasury instruction ids (mint, burn) are
    // global; redemption ids are per participant, so that no one (another
    // participant, or a burn) can use up an id a participant plans to use.
    /// @dev The terms of every treasury instruction executed: {instructionTermsHash} of
    /// its action, party and amount. One slot per id, as a bool would take, so an
    /// operator can tell "already done" from "id reused with other terms" by one read,
    /// even on a node that no longer holds the old logs.
    mapping(bytes32 instructionId => bytes32 termsHash) private _instructionTerms;
    mapping(address participant => mapping(bytes32 instructionId => bool)) private _executedRedemptions;

    /// @param authority The system's AccessManager.
    /// @param stablecoin_ The stablecoin (its reserve must be set to this contract).
    /// @param cash_ The settlement cash token (at most 18 decimals).
    /// @param minCollateralRatioWad_ e.g. 1.02e18.
    constructor(address authority, SovereignStablecoin stablecoin_, IERC20 cash_, uint256 minCollateralRatioWad_)
        AccessManaged(authority)
    {
        if (address(stablecoin_) == address(0)) revert ReserveInvalidAddress(address(stablecoin_));
        if (address(cash_) == address(0)) revert ReserveInvalidAddress(address(cash_));
        uint8 cashDecimals = IERC20Metadata(address(cash_)).decimals();
        if (cashDecimals > 18) revert ReserveParameterOutOfBounds("cashDecimals", cashDecimals, 0, 18);
        stablecoin = stablecoin_;
        cash = cash_;
        cashUnit = 10 ** (18 - cashDecimals);
        _setMinCollateralRatio(minCollateralRatioWad_);
    }

    // ================================================================ issuance

    /// @notice Mint `amount` stablecoin to the participant `to` under `instructionId`.
    /// @dev Caller: the minter role, within its allowance. Requirements: `to` is a
    /// participant; the id is new; the ratio after the mint, valued by
    /// {collateralValue} (an asset without a usable price counts zero), is at least
    /// the minimum. Emits {Minted}.
    function mint(address to, uint256 amount, bytes32 instructionId) external restricted nonReentrant {
        if (amount == 0) revert ReserveZeroAmount();
        _useInstruction(instructionId, instructionTermsHash(ACTION_MINT, to, amount));
        if (!isParticipant[to]) revert ReserveNotParticipant(to);
        uint256 allowance = minterAllowance[msg.sender];
        if (amount > allowance) revert ReserveMinterAllowanceExceeded(msg.sender, amount, allowance);

        uint256 value = collateralValue();
        uint256 supplyAfter = stablecoin.totalSupply() + amount;
        // supplyAfter * min <= value * WAD, without rounding: exactly at the minimum passes,
        // one unit more fails.
        uint256 ratioAfter = Math.mulDiv(value, WAD, supplyAfter);
        if (supplyAfter > Math.mulDiv(value, WAD, minCollateralRatioWad)) {
            revert ReserveCollateralRatioTooLow(ratioAfter, minCollateralRatioWad, value, supplyAfter);
        }

        unchecked {
            minterAllowance[msg.sender] = allowance - amount; // amount <= allowance, checked above
        }
        emit Minted(instructionId, msg.sender, to, amount, ratioAfter);
        stablecoin.mint(to, amount); // trusted: our own token
    }

    /// @notice Burn `amount` of the stablecoin the caller (the treasury) holds, under `instructionId`.
    /// @dev Caller: the burner role. Never reads the oracle: burning only raises the ratio. Emits {Burned}.
    function burn(uint256 amount, bytes32 instructionId) external restricted nonReentrant {
        if (amount == 0) revert ReserveZeroAmount();
        _useInstruction(instructionId, instructionTermsHash(ACTION_BURN, msg.sender, amount));
        emit Burned(instructionId, msg.sender, amount);
        stablecoin.burnFromTreasury(msg.sender, amount);
    }

    /// @notice Redeem `amount` stablecoin for settlement cash at par, less the fee.
    /// @dev Caller: a registered participant. Not a valuation, so it works while a
    /// feed is stale. Only whole cash units are redeemed: the part of `amount` below
    /// one cash unit stays with the caller, and an amount whose every cash unit the
    /// fee would take is refused ({ReserveRedemptionPaysNothing}): a redemption never
    /// burns coins for nothing. When the reserve's cash is short the
    /// call reverts with {ReserveInsufficientCash} naming what is available; nothing
    /// is burned and no partial payment is made (the treasury must top up cash).
    /// Emits {Redeemed}.
    function redeem(uint256 amount, bytes32 instructionId) external nonReentrant {
        // The named desk redeems for the participants it checked itself: the registrar
        // cannot stop every redemption by removing the desk from the register.
        address desk = redemptionDesk;
        if (desk != address(0)) {
            if (msg.sender != desk) revert ReserveRedeemThroughDesk(msg.sender, desk);
        } else if (!isParticipant[msg.sender]) {
            revert ReserveNotParticipant(msg.sender);
        }
        if (amount == 0) revert ReserveZeroAmount();
        if (instructionId == bytes32(0)) revert ReserveInvalidInstructionId();
        mapping(bytes32 => bool) storage executed = _executedRedemptions[msg.sender];
        if (executed[instructionId]) revert ReserveInstructionAlreadyExecuted(instructionId);

        uint256 gross = amount / cashUnit; // rounds down: the reserve never pays for dust
        if (gross == 0) revert ReserveAmountBelowCashUnit(amount, cashUnit);
        uint256 burned = gross * cashUnit;
        uint256 fee = Math.mulDiv(gross, redemptionFeeBps, BPS, Math.Rounding.Ceil); // rounds in the reserve's favour
        uint256 payout = gross - fee;
        if (payout == 0) revert ReserveRedemptionPaysNothing(amount, fee);
        uint256 available = cash.balanceOf(address(this));
        if (payout > available) revert ReserveInsufficientCash(payout, available);

        executed[instructionId] = true;
        emit Redeemed(instructionId, msg.sender, burned, payout, fee);
        // Burn before paying: a re-entrant cash token finds the id used and the balance gone.
        stablecoin.burnForRedemption(msg.sender, burned);
        cash.safeTransfer(msg.sender, payout);
    }

    // ================================================================ collateral management

    /// @notice Send `amount` of `asset` from the reserve to `to`.
    /// @dev Caller: the reserve-manager role. Requirement: the ratio stays at or
    /// above the minimum afterwards (checked with fresh prices when supply is not
    /// zero). Emits {CollateralWithdrawn}.
    function withdrawCollateral(address asset, address to, uint256 amount) external restricted nonReentrant {
        if (to == address(0)) revert ReserveInvalidAddress(to);
        if (amount == 0) revert ReserveZeroAmount();
        emit CollateralWithdrawn(asset, to, amount);
        IERC20(asset).safeTransfer(to, amount);
        // Checked after the transfer on purpose: the valuation must see the new
        // balance; a failure reverts the transfer with it. nonReentrant covers the gap.
        // An asset without a usable price counts zero here too.
        uint256 supply = stablecoin.totalSupply();
        if (supply != 0) {
            uint256 value = collateralValue();
            if (supply > Math.mulDiv(value, WAD, minCollateralRatioWad)) {
                revert ReserveCollateralRatioTooLow(Math.mulDiv(value, WAD, supply), minCollateralRatioWad, value, supply);
            }
        }
    }

    // ================================================================ governance

    /// @notice List `asset` as collateral, or change its configuration.
    /// @dev Caller: the governor role. Bounds: heartbeat in [MIN_HEARTBEAT,
    /// MAX_HEARTBEAT], haircut at most MAX_HAIRCUT_BPS, cap in
    /// [MIN_CONCENTRATION_CAP_BPS, 10000], at most MAX_ASSETS assets. The feed's
    /// decimals are read here and at every valuation. Emits {CollateralConfigured}.
    function setCollateral(
        address asset,
        AggregatorV3Interface feed,
        uint32 heartbeat,
        uint16 haircutBps,
        uint16 concentrationCapBps
    ) external restricted {
        if (asset == address(0) || asset == address(stablecoin)) revert ReserveInvalidAddress(asset);
        if (address(feed) == address(0)) revert ReserveInvalidAddress(address(feed));
        _checkBounds("heartbeat", heartbeat, MIN_HEARTBEAT, MAX_HEARTBEAT);
        _checkBounds("haircutBps", haircutBps, 0, MAX_HAIRCUT_BPS);
        _checkBounds("concentrationCapBps", concentrationCapBps, MIN_CONCENTRATION_CAP_BPS, BPS);
        _checkBounds("feedDecimals", feed.decimals(), 0, MAX_DECIMALS);
        uint8 assetDecimals = IERC20Metadata(asset).decimals();
        _checkBounds("assetDecimals", assetDecimals, 0, MAX_DECIMALS);

        CollateralConfig storage c = _collateral[asset];
        if (!c.listed) {
            if (_assets.length >= MAX_ASSETS) revert ReserveTooManyAssets(MAX_ASSETS);
            _assets.push(asset);
        }
        _collateral[asset] = CollateralConfig({
            feed: feed,
            heartbeat: heartbeat,
            haircutBps: haircutBps,
            concentrationCapBps: concentrationCapBps,
            assetDecimals: assetDecimals,
            listed: true
        });
        emit CollateralConfigured(asset, address(feed), heartbeat, haircutBps, concentrationCapBps);
    }

    /// @notice Remove `asset` from the collateral list (its balance stays, uncounted).
    /// @dev Caller: the governor role. Emits {CollateralRemoved}.
    function removeCollateral(address asset) external restricted {
        if (!_collateral[asset].listed) revert ReserveUnknownCollateral(asset);
        delete _collateral[asset];
        uint256 n = _assets.length;
        for (uint256 i; i < n; ++i) {
            if (_assets[i] == asset) {
                _assets[i] = _assets[n - 1];
                _assets.pop();
                break;
            }
        }
        emit CollateralRemoved(asset);
    }

    /// @notice Set the minimum collateral ratio after a mint [wad].
    /// @dev Caller: the governor role. Bounds: [100%, 300%]. Emits {MinCollateralRatioSet}.
    function setMinCollateralRatio(uint256 newRatioWad) external restricted {
        _setMinCollateralRatio(newRatioWad);
    }

    /// @notice Name the redemption desk through which alone redemptions pass (zero: none).
    /// @dev Caller: the governor role (its delay: a veto can stop the brake's removal).
    /// Requirements: the current desk's queue is empty; the new desk (unless zero) is a
    /// desk of this reserve and not frozen. Emits {RedemptionDeskSet}.
    function setRedemptionDesk(address desk) external restricted {
        address previous = redemptionDesk;
        // A desk is replaced or removed only with its queue empty: queued coins are never
        // stranded behind a desk that can no longer redeem, nor overtaken at a new one.
        if (previous != address(0) && !IRedemptionDesk(previous).queueEmpty()) {
            revert ReserveDeskQueueNotEmpty(previous);
        }
        if (desk != address(0) && (IRedemptionDesk(desk).reserve() != address(this) || stablecoin.frozen(desk))) {
            revert ReserveInvalidAddress(desk);
        }
        emit RedemptionDeskSet(previous, desk);
        redemptionDesk = desk;
    }

    /// @notice Set the redemption fee [bps].
    /// @dev Caller: the governor role. Bound: at most MAX_REDEMPTION_FEE_BPS. Emits {RedemptionFeeSet}.
    function setRedemptionFee(uint256 newFeeBps) external restricted {
        _checkBounds("redemptionFeeBps", newFeeBps, 0, MAX_REDEMPTION_FEE_BPS);
        emit RedemptionFeeSet(redemptionFeeBps, newFeeBps);
        redemptionFeeBps = newFeeBps;
    }

    /// @notice Set `minter`'s remaining mint allowance (USDC's master-minter model).
    /// @dev Caller: the governor role. Emits {MinterAllowanceSet}.
    function setMinterAllowance(address minter, uint256 allowance) external restricted {
        if (minter == address(0)) revert ReserveInvalidAddress(minter);
        minterAllowance[minter] = allowance;
        emit MinterAllowanceSet(minter, allowance);
    }

    /// @notice License `account` as an authorized participant (an AML-registered VASP).
    /// @dev Caller: the registrar role. Emits {ParticipantRegistered}.
    function registerParticipant(address account, bytes32 licenseRef) external restricted {
        if (account == address(0)) revert ReserveInvalidAddress(account);
        if (isParticipant[account]) revert ReserveAlreadyParticipant(account);
        isParticipant[account] = true;
        emit ParticipantRegistered(account, licenseRef);
    }

    /// @notice Withdraw `account`'s licence.
    /// @dev Caller: the registrar role. Emits {ParticipantRemoved}.
    function removeParticipant(address account, bytes32 reasonRef) external restricted {
        if (!isParticipant[account]) revert ReserveNotParticipant(account);
        isParticipant[account] = false;
        emit ParticipantRemoved(account, reasonRef);
    }

    // ================================================================ views

    /// @notice The counted value of the collateral [wad], rounded down.
    /// @dev Each listed asset first gets its haircut value: balance × price × (1 −
    /// haircut), or zero when its feed's answer is not usable (stale, from the
    /// future, zero, negative or absurdly large). A valuation never reverts on a
    /// feed, so dust sent to an asset whose feed is stale cannot halt issuance, and a
    /// bad price never counts.
    ///
    /// Then the concentration caps, by water-filling. The counted total C is the
    /// largest fixed point of  C = Σ min(v_i, cap_i × C):  every asset counts its
    /// haircut value v_i, except that none counts for more than its cap of the
    /// counted total (not of the total before capping: 900 of a 50%-capped bond
    /// beside 100 of cash counts 200, of which the bond is 100). Method: start with
    /// every asset uncapped; with U the sum of the uncapped assets' values and K
    /// the sum of the capped assets' caps, the fixed point for that split is
    /// C = U × BPS / (BPS − K); cap every uncapped asset with v_i × (BPS − K) >
    /// cap_i × U (exactly: v_i > cap_i × C), all against the U and K the round
    /// began with; repeat until none is added. A capped
    /// asset stays capped (C only falls), so at most MAX_ASSETS rounds of at most
    /// MAX_ASSETS comparisons run, with no external call. K stays below BPS: if the
    /// caps just added had reached 100%, the previous C would already have been a
    /// fixed point, so nothing would have been added. The total is floor(C); an
    /// asset's counted value ({collateralBreakdown}) is min(v_i, floor(cap_i × C)),
    /// at most its cap of the total, plus the one wei that rounding C down can cost.
    function collateralValue() public view returns (uint256 total) {
        (, total) = _counted(_haircutValues());
    }

    /// @notice Every listed asset with its haircut value (before caps, zero without a
    /// usable price) and its counted value (after caps), and the counted total [wad].
    function collateralBreakdown()
        external
        view
        returns (address[] memory assets, uint256[] memory haircutValues, uint256[] memory countedValues, uint256 total)
    {
        assets = _assets;
        haircutValues = _haircutValues();
        (countedValues, total) = _counted(haircutValues);
    }

    /// @notice collateralValue() / totalSupply() [wad]; type(uint256).max with no supply.
    function collateralRatio() external view returns (uint256) {
        uint256 supply = stablecoin.totalSupply();
        if (supply == 0) return type(uint256).max;
        return Math.mulDiv(collateralValue(), WAD, supply);
    }

    /// @notice How much more can be minted now before the ratio reaches the minimum.
    function maxMintable() external view returns (uint256) {
        uint256 cap = Math.mulDiv(collateralValue(), WAD, minCollateralRatioWad);
        uint256 supply = stablecoin.totalSupply();
        return cap > supply ? cap - supply : 0;
    }

    /// @notice The listed collateral assets.
    function collateralAssets() external view returns (address[] memory) {
        return _assets;
    }

    /// @notice The configuration of `asset`.
    function collateralConfig(address asset) external view returns (CollateralConfig memory) {
        return _collateral[asset];
    }

    /// @notice One asset's state for dashboards; never reverts on a bad feed.
    /// @return balance The reserve's balance [asset units].
    /// @return answer The feed's latest answer [feed decimals].
    /// @return updatedAt When the feed answered [unix seconds].
    /// @return usable Whether the answer is fresh and valid.
    /// @return haircutValueWad The haircut value, before the concentration cap (0 when not usable).
    function assetStatus(address asset)
        external
        view
        returns (uint256 balance, int256 answer, uint256 updatedAt, bool usable, uint256 haircutValueWad)
    {
        if (!_collateral[asset].listed) revert ReserveUnknownCollateral(asset);
        balance = IERC20(asset).balanceOf(address(this));
        (, answer,, updatedAt,) = _collateral[asset].feed.latestRoundData();
        usable = _priceUsable(asset, answer, updatedAt);
        haircutValueWad = _haircutValue(asset);
    }

    /// @notice Whether the treasury instruction `instructionId` (mint or burn) was executed.
    function instructionExecuted(bytes32 instructionId) external view returns (bool) {
        return _instructionTerms[instructionId] != bytes32(0);
    }

    /// @notice The terms hash recorded for each id (zero: not executed), in order: one
    /// call reconciles a whole batch file with the chain.
    function instructionTerms(bytes32[] calldata instructionIds) external view returns (bytes32[] memory terms) {
        terms = new bytes32[](instructionIds.length);
        for (uint256 i; i < instructionIds.length; ++i) {
            terms[i] = _instructionTerms[instructionIds[i]];
        }
    }

    /// @notice The hash under which an instruction's terms are recorded:
    /// `keccak256(abi.encode(action, party, amount))`, where action is 1 for a mint
    /// (party: the recipient) and 2 for a burn (party: the burner).
    function instructionTermsHash(uint8 action, address party, uint256 amount) public pure returns (bytes32) {
        return keccak256(abi.encode(action, party, amount));
    }

    /// @notice Whether `participant` executed the redemption `instructionId`.
    function redemptionExecuted(address participant, bytes32 instructionId) external view returns (bool) {
        return _executedRedemptions[participant][instructionId];
    }

    // ================================================================ internals

    /// @dev The haircut value of every listed asset, in the order of `_assets`.
    function _haircutValues() private view returns (uint256[] memory values) {
        uint256 n = _assets.length;
        values = new uint256[](n);
        for (uint256 i; i < n; ++i) {
            values[i] = _haircutValue(_assets[i]);
        }
    }

    /// @dev balance × price × (1 − haircut) of `asset` [wad], rounded down; zero when
    /// the balance is zero (the feed is then not read) or the price is not usable.
    function _haircutValue(address asset) private view returns (uint256) {
        CollateralConfig storage c = _collateral[asset];
        uint256 balance = IERC20(asset).balanceOf(address(this));
        if (balance == 0) return 0;
        AggregatorV3Interface feed = c.feed;
        (, int256 answer,, uint256 updatedAt,) = feed.latestRoundData();
        if (!_priceUsable(asset, answer, updatedAt)) return 0;
        // value [wad] = balance / 10**assetDecimals * answer / 10**feedDecimals * 10**18
        uint256 scale = uint256(c.assetDecimals) + feed.decimals(); // feed decimals read, never assumed
        uint256 value;
        if (scale >= 18) value = Math.mulDiv(balance, uint256(answer), 10 ** (scale - 18));
        else value = Math.mulDiv(balance, uint256(answer) * 10 ** (18 - scale), 1);
        return Math.mulDiv(value, BPS - c.haircutBps, BPS);
    }

    /// @dev The water-filling of {collateralValue}: counted value per asset and the total.
    function _counted(uint256[] memory values) private view returns (uint256[] memory counted, uint256 total) {
        uint256 n = values.length;
        bool[] memory capped = new bool[](n);
        uint256[] memory caps = new uint256[](n);
        uint256 uncappedSum; // U [wad]
        for (uint256 i; i < n; ++i) {
            caps[i] = _collateral[_assets[i]].concentrationCapBps;
            uncappedSum += values[i];
        }
        uint256 cappedBps; // K [bps], always < BPS (see collateralValue)
        bool added = true;
        while (added) {
            added = false;
            // The round compares every asset with the split as it was when the round
            // began (C = U × BPS / (BPS − K)), so all assets above it are capped together.
            uint256 room = BPS - cappedBps; // BPS − K
            uint256 u = uncappedSum; // U
            for (uint256 i; i < n; ++i) {
                // v_i > cap_i × U / (BPS − K), without division
                if (!capped[i] && values[i] * room > caps[i] * u) {
                    capped[i] = true;
                    added = true;
                    uncappedSum -= values[i];
                    cappedBps += caps[i];
                }
            }
        }
        counted = new uint256[](n);
        uint256 room = BPS - cappedBps;
        total = Math.mulDiv(uncappedSum, BPS, room);
        for (uint256 i; i < n; ++i) {
            counted[i] = capped[i] ? Math.mulDiv(caps[i], uncappedSum, room) : values[i];
        }
    }

    function _priceUsable(address asset, int256 answer, uint256 updatedAt) private view returns (bool) {
        return answer > 0 && uint256(answer) <= MAX_ANSWER && updatedAt != 0 && updatedAt <= block.timestamp
            && block.timestamp - updatedAt <= _collateral[asset].heartbeat;
    }

    function _useInstruction(bytes32 instructionId, bytes32 termsHash) private {
        if (instructionId == bytes32(0)) revert ReserveInvalidInstructionId();
        if (_instructionTerms[instructionId] != bytes32(0)) revert ReserveInstructionAlreadyExecuted(instructionId);
        _instructionTerms[instructionId] = termsHash;
    }

    function _setMinCollateralRatio(uint256 newRatioWad) private {
        _checkBounds("minCollateralRatioWad", newRatioWad, MIN_RATIO_FLOOR_WAD, MIN_RATIO_CEILING_WAD);
        emit MinCollateralRatioSet(minCollateralRatioWad, newRatioWad);
        minCollateralRatioWad = newRatioWad;
    }

    function _checkBounds(bytes32 name, uint256 value, uint256 min, uint256 max) private pure {
        if (value < min || value > max) revert ReserveParameterOutOfBounds(name, value, min, max);
    }
}
