// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {AccessManaged} from "@openzeppelin/contracts/access/manager/AccessManaged.sol";

/// @title ProgramCeilings
/// @notice The tokenization program's ceilings: how much of each asset class (for
/// example "METALS", "ENERGY") may be outstanding, in the peg currency, counted
/// at the value each issue had when it was made (book value). Issuance past a
/// ceiling is refused with the numbers.
/// @dev Why book value and not today's market value: a ceiling is a legal limit
/// on what the program issued ("up to 2 billion of state assets"); a price rise
/// must not make an issue already made unlawful, nor a fall open room to issue
/// more of the same lots. Issuers (the commodity tokens) are contracts granted
/// the issuer role; they record each issue and each retirement (a delivery in
/// kind) at book value. Governance sets each ceiling within [0, MAX_CEILING_WAD],
/// with its delay; a ceiling set below what is outstanding stops new issuance
/// and touches nothing issued.
contract ProgramCeilings is AccessManaged {
    /// @dev 10**15 units of the peg currency: above any sovereign program, small
    /// enough that no sum of issues overflows.
    uint256 public constant MAX_CEILING_WAD = 1e15 * 1e18;

    error ProgramCeilingExceeded(bytes32 assetClass, uint256 outstanding, uint256 amount, uint256 ceiling);
    error ProgramCeilingOutOfBounds(bytes32 assetClass, uint256 ceiling, uint256 max);

    event CeilingSet(bytes32 indexed assetClass, uint256 previous, uint256 ceiling);
    event Issued(bytes32 indexed assetClass, address indexed issuer, uint256 amount, uint256 outstanding);
    event Retired(bytes32 indexed assetClass, address indexed issuer, uint256 amount, uint256 outstanding);

    /// @notice The most that may be outstanding in `assetClass` [peg currency, wad].
    mapping(bytes32 assetClass => uint256) public ceiling;
    /// @notice What is outstanding in `assetClass` at book value [peg currency, wad].
    mapping(bytes32 assetClass => uint256) public outstanding;
    /// @notice What `issuer` has outstanding in `assetClass`: an issuer retires at most
    /// its own issues, so that it cannot open room for another issuer of its class.
    mapping(address issuer => mapping(bytes32 assetClass => uint256)) public outstandingBy;

    constructor(address authority) AccessManaged(authority) {}

    /// @notice Set `assetClass`'s ceiling. @dev Caller: the governor role.
    function setCeiling(bytes32 assetClass, uint256 ceilingWad) external restricted {
        if (ceilingWad > MAX_CEILING_WAD) revert ProgramCeilingOutOfBounds(assetClass, ceilingWad, MAX_CEILING_WAD);
        emit CeilingSet(assetClass, ceiling[assetClass], ceilingWad);
        ceiling[assetClass] = ceilingWad;
    }

    /// @notice Record an issue of `amountWad` in `assetClass`, refused past the ceiling.
    /// @dev Caller: an issuer contract (the issuer role).
    function recordIssue(bytes32 assetClass, uint256 amountWad) external restricted {
        uint256 before = outstanding[assetClass];
        uint256 cap = ceiling[assetClass];
        if (amountWad > cap || before > cap - amountWad) {
            revert ProgramCeilingExceeded(assetClass, before, amountWad, cap);
        }
        outstanding[assetClass] = before + amountWad;
        outstandingBy[msg.sender][assetClass] += amountWad;
        emit Issued(assetClass, msg.sender, amountWad, before + amountWad);
    }

    /// @notice Record a retirement of `amountWad` in `assetClass`, at most what the
    /// caller has outstanding there. @dev Caller: anyone. Why no role: a retirement only
    /// lowers the caller's own issues (nothing for an account that issued nothing), and
    /// an issuer that lost its role must still be able to close what it opened.
    function recordRetire(bytes32 assetClass, uint256 amountWad) external {
        uint256 own = outstandingBy[msg.sender][assetClass];
        uint256 amount = amountWad < own ? amountWad : own;
        outstandingBy[msg.sender][assetClass] = own - amount;
        uint256 left = outstanding[assetClass] - amount;
        outstanding[assetClass] = left;
        emit Retired(assetClass, msg.sender, amount, left);
    }

    /// @notice How much more `assetClass` may issue now [peg currency, wad].
    function headroom(bytes32 assetClass) external view returns (uint256) {
        uint256 cap = ceiling[assetClass];
        uint256 used = outstanding[assetClass];
        return used >= cap ? 0 : cap - used;
    }
}
