// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {AccessManaged} from "@openzeppelin/contracts/access/manager/AccessManaged.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {IERC20Metadata} from "@openzeppelin/contracts/token/ERC20/extensions/IERC20Metadata.sol";
import {DebtCeilingBook, IDebtSeries} from "../program/DebtCeilingBook.sol";
import {ProgramCeilings} from "../program/ProgramCeilings.sol";
import {BondSeries} from "./BondSeries.sol";
import {BondTerms} from "./BondTerms.sol";

/// @title BondRegistry
/// @notice Creates coupon-bond series and runs their auctions and calls for the
/// debt-management office; the public list of every bond this government issued;
/// and the governance-set haircut schedule by remaining maturity that every
/// bond's valuation feed applies. Each series is booked against the program
/// ceiling of the registry's asset class at face value ({DebtCeilingBook}): an
/// auction past the ceiling is refused with the numbers.
/// @dev Series trust only this registry, so the AccessManager is wired once for
/// the registry, however many series exist. Why the series' creation code comes in
/// the call: with it the registry would exceed the 24,576-byte code limit (EIP-170).
/// The registry accepts only code whose hash it was deployed with
/// ({seriesCodeHash}, a test checks it is the compiled BondSeries), so the debt
/// office can create nothing but a BondSeries; the terms are still checked by the
/// series' own constructor. Why maturity-aware haircuts: a bond's
/// price moves with yields by about its duration, so a ten-year bond can lose
/// several times what a one-year bill loses in the same rate shock. The default
/// tiers take a 2-percentage-point shock times the longest duration in each tier.
contract BondRegistry is AccessManaged, DebtCeilingBook {
    error RegistryDuplicateCode(address existing);
    error RegistryUnknownSeries(address series);
    error RegistryInvalidDates(uint256 issueDate, uint256 maturity, uint256 nowTs);
    error RegistryInvalidAddress(address account);
    /// @dev The creation code given hashes to `given`, not to the BondSeries code `expected`.
    error RegistryWrongSeriesCode(bytes32 given, bytes32 expected);
    /// @dev Tier `tier` was set to `value`: above `max`, or below the tier before it (`previous`).
    error RegistryHaircutOutOfBounds(uint256 tier, uint256 value, uint256 previous, uint256 max);

    event SeriesCreated(address indexed series, string isin, uint256 faceValue, uint256 issueDate, uint256 maturity);
    event MaturityHaircutsSet(uint16[5] previousBps, uint16[5] newBps);

    /// @notice The upper bound of each tier's remaining maturity [seconds]; the last tier is open-ended.
    uint256[4] public TIER_LIMITS = [uint256(365 days), 3 * 365 days, 5 * 365 days, 10 * 365 days];
    /// @dev 50%: a larger haircut is a de-listing in disguise.
    uint16 public constant MAX_MATURITY_HAIRCUT_BPS = 5_000;

    IERC20 public immutable cash;
    address public immutable treasury;
    /// @notice keccak256 of BondSeries' creation code (without constructor arguments).
    bytes32 public immutable seriesCodeHash;
    mapping(address series => bool) public isSeries;
    mapping(string isin => address) public seriesByIsin;
    address[] private _series;
    uint16[5] private _haircutBps = [200, 600, 1_000, 1_800, 2_500];

    constructor(
        address authority,
        IERC20 cash_,
        address treasury_, bytes32 seriesCodeHash_,
        ProgramCeilings ceilings_,
        bytes32 assetClass_
    ) AccessManaged(authority) DebtCeilingBook(ceilings_, assetClass_, IERC20Metadata(address(cash_))) {
        if (address(cash_) == address(0)) revert RegistryInvalidAddress(address(cash_));
        if (treasury_ == address(0)) revert RegistryInvalidAddress(treasury_);
        cash = cash_;
        treasury = treasury_;
        seriesCodeHash = seriesCodeHash_;
    }

    /// @notice Create a bond series with immutable terms from `seriesCode`, BondSeries'
    /// creation code. @dev Caller: the debt-office role. A constructor's refusal
    /// (BondInvalidTerms, naming the rule) is passed on as it is.
    function createSeries(BondTerms.Terms calldata terms, bytes calldata seriesCode)
        external
        restricted
        returns (BondSeries series)
    {
        if (seriesByIsin[terms.isin] != address(0)) revert RegistryDuplicateCode(seriesByIsin[terms.isin]);
        if (terms.maturity <= block.timestamp) {
            revert RegistryInvalidDates(terms.issueDate, terms.maturity, block.timestamp);
        }
        bytes32 given = keccak256(seriesCode);
        if (given != seriesCodeHash) revert RegistryWrongSeriesCode(given, seriesCodeHash);
        bytes memory initCode = abi.encodePacked(seriesCode, abi.encode(terms, cash, treasury));
        assembly ("memory-safe") {
            series := create(0, add(initCode, 0x20), mload(initCode))
            if iszero(series) {
                returndatacopy(0, 0, returndatasize())
                revert(0, returndatasize())
            }
        }
        isSeries[address(series)] = true;
        seriesByIsin[terms.isin] = address(series);
        _series.push(address(series));
        emit SeriesCreated(address(series), terms.isin, terms.faceValue, terms.issueDate, terms.maturity);
    }

    /// @notice Open or re-price `series`' auction at a clean price. @dev Caller: the debt-office role.
    function openAuction(BondSeries series, uint256 cleanPrice, uint256 amount) external restricted {
        _known(series).openAuction(cleanPrice, amount);
        _book(IDebtSeries(address(series)));
    }

    /// @notice Close `series`' auction. @dev Caller: the debt-office role.
    function closeAuction(BondSeries series) external restricted {
        _known(series).closeAuction();
        _book(IDebtSeries(address(series)));
    }

    /// @notice Book `series` again at its face outstanding, giving back the room of
    /// what was repaid; when its class is above its ceiling, close its open offer first.
    /// @dev Caller: anyone (the figure follows the series' supply; an offer is closed
    /// only past a ceiling the governor lowered).
    function sync(BondSeries series) external {
        _syncBook(IDebtSeries(address(_known(series))));
    }

    /// @notice Call `series` at its call option `index`. @dev Caller: the debt-office role.
    function callBond(BondSeries series, uint256 index) external restricted {
        _known(series).callBond(index);
        _book(IDebtSeries(address(series)));
    }

    /// @notice Set the haircut of each remaining-maturity tier [bps].
    /// @dev Caller: the governor role (with its delay). Each tier at most
    /// {MAX_MATURITY_HAIRCUT_BPS} and none below the shorter tier before it.
    function setMaturityHaircuts(uint16[5] calldata bps) external restricted {
        for (uint256 i; i < 5; ++i) {
            uint256 previous = i == 0 ? 0 : bps[i - 1];
            if (bps[i] > MAX_MATURITY_HAIRCUT_BPS || bps[i] < previous) {
                revert RegistryHaircutOutOfBounds(i, bps[i], previous, MAX_MATURITY_HAIRCUT_BPS);
            }
        }
        emit MaturityHaircutsSet(_haircutBps, bps);
        _haircutBps = bps;
    }

    /// @notice The haircut tiers [bps], shortest maturity first.
    function maturityHaircuts() external view returns (uint16[5] memory) {
        return _haircutBps;
    }

    /// @notice The haircut for `remaining` seconds to redemption [bps].
    function maturityHaircutBps(uint256 remaining) public view returns (uint256) {
        for (uint256 i; i < 4; ++i) {
            if (remaining <= TIER_LIMITS[i]) return _haircutBps[i];
        }
        return _haircutBps[4];
    }

    function allSeries() external view returns (address[] memory) {
        return _series;
    }

    function _known(BondSeries series) private view returns (BondSeries) {
        if (!isSeries[address(series)]) revert RegistryUnknownSeries(address(series));
        return series;
    }
}
