// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ProRataPool} from "../redemption/ProRataPool.sol";
import {OutflowBuckets} from "../redemption/OutflowBuckets.sol";

/// @notice Test-only: ProRataPool and OutflowBuckets behind external functions, so that
/// their arithmetic is checked against an exact model (tests/redemption/test_pool_model.py).
contract PoolProbe {
    using ProRataPool for ProRataPool.Pool;
    using OutflowBuckets for OutflowBuckets.Bucket;

    ProRataPool.Pool private _pool;
    OutflowBuckets.Bucket private _bucket;

    constructor() {
        _pool.init();
    }

    function admit(uint256 batch, uint256 coins) external {
        _pool.admit(batch, coins);
    }

    function pay(uint256 coins, uint256 cashPaid, bool full) external {
        _pool.pay(coins, cashPaid, full);
    }

    function withdraw(uint256 coins) external {
        _pool.withdraw(coins);
    }

    function remaining() external view returns (uint256) {
        return _pool.remaining;
    }

    function position() external view returns (uint256 p, uint128 epoch, uint128 scale) {
        return (_pool.p, _pool.epoch, _pool.scale);
    }

    function remainingOf(uint256 batch, uint256 amount) external view returns (uint256) {
        return _pool.remainingOf(batch, amount);
    }

    function earnedOf(uint256 batch, uint256 amount) external view returns (uint256) {
        return _pool.earnedOf(batch, amount);
    }

    function take(uint256 capacity, uint256 window, uint256 amount) external returns (uint256 room) {
        room = _bucket.refresh(capacity, window);
        _bucket.consume(amount);
    }

    function roomAt(uint256 capacity, uint256 window) external view returns (uint256) {
        return _bucket.roomAt(capacity, window);
    }
}
