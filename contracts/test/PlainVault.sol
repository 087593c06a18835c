// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {ERC4626} from "@openzeppelin/contracts/token/ERC20/extensions/ERC4626.sol";

/// @notice The gas baseline of `make bench` for the T-bill vault: a plain
/// OpenZeppelin 5 ERC-4626 over the same cash token, nothing added.
contract PlainVault is ERC4626 {
    constructor(IERC20 asset_) ERC4626(asset_) ERC20("Plain vault", "PV") {}
}
