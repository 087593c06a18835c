// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {AccessManaged} from "@openzeppelin/contracts/access/manager/AccessManaged.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {IERC20Metadata} from "@openzeppelin/contracts/token/ERC20/extensions/IERC20Metadata.sol";
import {DebtCeilingBook, IDebtSeries} from "../program/DebtCeilingBook.sol";
import {ProgramCeilings} from "../program/ProgramCeilings.sol";
import {TBillSeries} from "./TBillSeries.sol";

/// @title TBillRegistry
/// @notice Creates T-bill series and runs their auctions for the debt-management
/// office; the public list of every series this government issued. Each series is
/// booked against the program ceiling of the registry's asset class at face value
/// ({DebtCeilingBook}): an auction past the ceiling is refused with the numbers.
/// @dev Series trust only this registry, so the AccessManager needs wiring for the
/// registry alone, however many series are created.
contract TBillRegistry is AccessManaged, DebtCeilingBook {
    /// @dev A series with this code exists at `existing`.
    error RegistryDuplicateCode(address existing);
    /// @dev Not a series of this registry.
    error RegistryUnknownSeries(address series);
    /// @dev Maturity must be after issue and in the future.
    error RegistryInvalidDates(uint256 issueDate, uint256 maturity, uint256 nowTs);
    /// @dev A zero address for the cash token or the treasury (every series would refuse it).
    error RegistryInvalidAddress(address account);

    /// @notice A series was created.
    event SeriesCreated(address indexed series, string code, uint256 faceValue, uint256 issueDate, uint256 maturity);

    /// @notice The settlement cash all series are paid in.
    IERC20 public immutable cash;
    /// @notice Where auction proceeds go.
    address public immutable treasury;
    /// @notice Whether `series` was created here.
    mapping(address series => bool) public isSeries;
    /// @notice The series by code.
    mapping(string code => address) public seriesByCode;
    address[] private _series;

    constructor(
        address authority,
        IERC20 cash_,
        address treasury_,
        ProgramCeilings ceilings_,
        bytes32 assetClass_
    ) AccessManaged(authority) DebtCeilingBook(ceilings_, assetClass_, IERC20Metadata(address(cash_))) {
        if (address(cash_) == address(0)) revert RegistryInvalidAddress(address(cash_));
        if (treasury_ == address(0)) revert RegistryInvalidAddress(treasury_);
        cash = cash_;
        treasury = treasury_;
    }

    /// @notice Create a series with immutable terms.
    /// @dev Caller: the debt-office role. Emits {SeriesCreated} (and the series' {SeriesTerms}).
    function createSeries(
        string calldata code,
        uint8 decimals_,
        uint256 faceValue,
        uint256 issueDate,
        uint256 maturity
    ) external restricted returns (TBillSeries series) {
        if (seriesByCode[code] != address(0)) revert RegistryDuplicateCode(seriesByCode[code]);
        if (maturity <= issueDate || maturity <= block.timestamp) {
            revert RegistryInvalidDates(issueDate, maturity, block.timestamp);
        }
        series = new TBillSeries(
            code, string.concat("Treasury bill ", code), decimals_, faceValue, issueDate, maturity, cash, treasury
        );
        isSeries[address(series)] = true;
        seriesByCode[code] = address(series);
        _series.push(address(series));
        emit SeriesCreated(address(series), code, faceValue, issueDate, maturity);
    }

    /// @notice Open or re-price `series`' auction. @dev Caller: the debt-office role.
    function openAuction(TBillSeries series, uint256 price, uint256 amount) external restricted {
        _known(series).openAuction(price, amount);
        _book(IDebtSeries(address(series)));
    }

    /// @notice Close `series`' auction. @dev Caller: the debt-office role.
    function closeAuction(TBillSeries series) external restricted {
        _known(series).closeAuction();
        _book(IDebtSeries(address(series)));
    }

    /// @notice Book `series` again at its face outstanding, giving back the room of
    /// what was repaid; when its class is above its ceiling, close its open offer first.
    /// @dev Caller: anyone (the figure follows the series' supply; an offer is closed
    /// only past a ceiling the governor lowered).
    function sync(TBillSeries series) external {
        _syncBook(IDebtSeries(address(_known(series))));
    }

    /// @notice Every series created, oldest first.
    function allSeries() external view returns (address[] memory) {
        return _series;
    }

    function _known(TBillSeries series) private view returns (TBillSeries) {
        if (!isSeries[address(series)]) revert RegistryUnknownSeries(address(series));
        return series;
    }
}
