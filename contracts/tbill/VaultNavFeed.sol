// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IERC20Metadata} from "@openzeppelin/contracts/token/ERC20/extensions/IERC20Metadata.sol";
import {IERC4626} from "@openzeppelin/contracts/interfaces/IERC4626.sol";
import {AggregatorV3Interface} from "../interfaces/AggregatorV3Interface.sol";

/// @title VaultNavFeed
/// @notice Prices one whole T-bill-vault share for the reserve, read straight from
/// the vault's on-chain NAV, behind the same AggregatorV3 interface as every feed.
/// @dev Why read the NAV directly instead of reporting it through the oracle stub:
/// the vault computes its NAV on-chain from public data (accretion, pools,
/// defaults), so a reporter could only add delay and a trusted party; donations
/// cannot move it (the vault accounts idle cash internally). Why an adapter
/// instead of a special case in the reserve: the reserve keeps one valuation path
/// for every asset, and haircuts, caps and the heartbeat apply to vault shares as
/// to any collateral. The answer is always "fresh" (updatedAt = now): the NAV is
/// current by construction. Answer unit: cash per whole share, 18 decimals
/// (settlement cash counts at par in the unit of account).
contract VaultNavFeed is AggregatorV3Interface {
    IERC4626 public immutable vault;
    uint256 private immutable _oneShare;
    uint256 private immutable _toWad;

    constructor(IERC4626 vault_) {
        vault = vault_;
        _oneShare = 10 ** IERC20Metadata(address(vault_)).decimals();
        _toWad = 10 ** (18 - IERC20Metadata(vault_.asset()).decimals());
    }

    function decimals() external pure override returns (uint8) {
        return 18;
    }

    function description() external pure override returns (string memory) {
        return "T-bill vault share NAV (on-chain)";
    }

    function version() external pure override returns (uint256) {
        return 4;
    }

    /// @notice The NAV of one whole share now, in 18 decimals (rounded down, as the vault rounds).
    function latestRoundData() public view override returns (uint80, int256, uint256, uint256, uint80) {
        int256 answer = int256(vault.convertToAssets(_oneShare) * _toWad);
        return (1, answer, block.timestamp, block.timestamp, 1);
    }

    /// @notice Only the current round exists.
    function getRoundData(uint80) external view override returns (uint80, int256, uint256, uint256, uint80) {
        return latestRoundData();
    }
}
