// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";

/// @title OutflowBuckets
/// @notice A refilling bucket of outflow, in the style of Paxos's RateLimit: `used`
/// drains at `capacity / window` per second, and an outflow may take at most the room
/// left, `capacity - used`.
/// @dev The capacity is given at every use, not stored: the desk derives it from the
/// supply and the collateral ratio of the moment, so a tightened capacity also refills
/// more slowly (a tightening must lower the throughput, not only the burst). When the
/// capacity falls below what is used, the room is zero until the bucket drains.
/// Hand-written: OpenZeppelin has no rate limiter, and Paxos's stores its capacity.
library OutflowBuckets {
    struct Bucket {
        uint192 used;
        uint64 updatedAt;
    }

    /// @dev Drain `b` to now at `capacity` per `window`, store it, and return the room.
    function refresh(Bucket storage b, uint256 capacity, uint256 window) internal returns (uint256) {
        uint256 used = usedAt(b, capacity, window);
        (b.used, b.updatedAt) = (SafeCast.toUint192(used), uint64(block.timestamp));
        return used >= capacity ? 0 : capacity - used;
    }

    /// @dev Take `amount`; the caller refreshed `b` in this block and checked the room.
    function consume(Bucket storage b, uint256 amount) internal {
        b.used = SafeCast.toUint192(uint256(b.used) + amount);
    }

    /// @dev What `b` has used, drained to now.
    function usedAt(Bucket storage b, uint256 capacity, uint256 window) internal view returns (uint256) {
        uint256 used = b.used;
        uint256 drained = (block.timestamp - b.updatedAt) * capacity / window;
        return drained >= used ? 0 : used - drained;
    }

    /// @dev The room of `b` now, without storing.
    function roomAt(Bucket storage b, uint256 capacity, uint256 window) internal view returns (uint256) {
        uint256 used = usedAt(b, capacity, window);
        return used >= capacity ? 0 : capacity - used;
    }
}
