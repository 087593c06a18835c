// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IERC20Metadata} from "@openzeppelin/contracts/token/ERC20/extensions/IERC20Metadata.sol";
import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";
import {ProgramCeilings} from "./ProgramCeilings.sol";

/// @notice What a debt series shows its registry for the program ceiling.
interface IDebtSeries {
    function faceValue() external view returns (uint256);
    function decimals() external view returns (uint8);
    function totalSupply() external view returns (uint256);
    function auctionRemaining() external view returns (uint256);
    function defaulted() external view returns (bool);
    function closeAuction() external;
}

/// @title DebtCeilingBook
/// @notice How a debt registry (T-bills, bonds) keeps its series inside the
/// program's ceiling for its asset class: each series is booked at the face value
/// of what it has sold and still offers, in the peg currency.
/// @dev Why face value: a debt ceiling is a limit on the nominal debt outstanding,
/// the amount the state owes back, whatever price an auction reached. Why the
/// offer counts before it is sold: a sale happens in the series, which the
/// registry does not see, so the room is taken when the offer is made and given
/// back when the auction closes unsold ({_book} on close). Repayment (tokens
/// burned at redemption) gives room back when anyone calls {sync}: the booked
/// figure can only follow the series' own supply, so the call is open to all.
/// A series in default stays booked at its figure for good: its recovery pays less
/// than face, and the unpaid debt still counts against the program (the governor
/// may raise the ceiling). A ceiling lowered below what the class has outstanding
/// stops unsold offers too: {_syncBook} then closes the series' open auction, so
/// anyone may enforce a lowered ceiling on offers already made.
abstract contract DebtCeilingBook {
    /// @dev The cash token has more than 18 decimals.
    error DebtCeilingCashDecimals(uint8 decimals);
    /// @dev A zero ceilings contract or an empty asset class.
    error DebtCeilingInvalidBook(address ceilings, bytes32 assetClass);

    /// @notice `series` is now booked at `booked` [peg currency, wad], from `previous`.
    event DebtBooked(address indexed series, uint256 previous, uint256 booked);
    /// @notice `series`' open offer of `unsold` tokens was closed: its class is at
    /// `outstanding`, above its ceiling `ceiling` [peg currency, wad].
    event OfferClosedOverCeiling(address indexed series, uint256 unsold, uint256 outstanding, uint256 ceiling);

    /// @notice The program's ceilings, shared with every other issuer.
    ProgramCeilings public immutable ceilings;
    /// @notice This registry's asset class there (for example "BILLS").
    bytes32 public immutable assetClass;
    /// @notice What each series is booked at [peg currency, wad].
    mapping(address series => uint256) public booked;
    uint256 private immutable _cashToWad;

    constructor(ProgramCeilings ceilings_, bytes32 assetClass_, IERC20Metadata cash_) {
        if (address(ceilings_) == address(0) || assetClass_ == bytes32(0)) {
            revert DebtCeilingInvalidBook(address(ceilings_), assetClass_);
        }
        // A zero cash token is the registry's own refusal (RegistryInvalidAddress).
        uint8 d = address(cash_) == address(0) ? 0 : cash_.decimals();
        if (d > 18) revert DebtCeilingCashDecimals(d);
        ceilings = ceilings_;
        assetClass = assetClass_;
        _cashToWad = 10 ** (18 - d);
    }

    /// @notice The face value of what `series` has sold and still offers [peg currency,
    /// wad], rounded up: what it should be booked at now.
    function faceOutstanding(IDebtSeries series) public view returns (uint256) {
        uint256 tokens = series.totalSupply() + series.auctionRemaining();
        return Math.mulDiv(tokens, series.faceValue(), 10 ** series.decimals(), Math.Rounding.Ceil) * _cashToWad;
    }

    /// @dev {sync}'s work: close `series`' open offer when its class is above its
    /// ceiling, then book it.
    function _syncBook(IDebtSeries series) internal {
        uint256 cap = ceilings.ceiling(assetClass);
        uint256 used = ceilings.outstanding(assetClass);
        uint256 unsold = series.auctionRemaining();
        if (used > cap && unsold != 0) {
            series.closeAuction();
            emit OfferClosedOverCeiling(address(series), unsold, used, cap);
        }
        _book(series);
    }

    /// @dev Book `series` at its face outstanding: an increase is recorded as an
    /// issue (refused past the ceiling, with the numbers), a decrease as a retirement
    /// (never for a series in default).
    function _book(IDebtSeries series) internal {
        uint256 previous = booked[address(series)];
        uint256 current = faceOutstanding(series);
        if (current == previous || (current < previous && series.defaulted())) return;
        booked[address(series)] = current;
        if (current > previous) ceilings.recordIssue(assetClass, current - previous);
        else ceilings.recordRetire(assetClass, previous - current);
        emit DebtBooked(address(series), previous, current);
    }
}
