// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";

/// @title ProRataPool
/// @notice The paying pool of the redemption queue: admitted coins are paid round by
/// round, each round paying every admitted coin the same fraction, in O(1) gas however
/// many requests the pool holds.
/// @dev The product-and-sum method of Liquity's StabilityPool, applied to a queue:
/// - `p` is the part of a coin admitted at `P_UNIT` that is still unpaid, times
///   `P_UNIT`; a round paying x of the pool's r coins multiplies it by (r - x) / r.
///   A request admitted when the product was p0 has `amount * p / p0` coins unpaid.
/// - `s[epoch][scale]` adds up the cash paid per unpaid coin, weighted by `p`; a request
///   has earned `amount * (s - s0) / (p0 * S_PRECISION)`.
/// - When `p` would fall below `SCALE_FACTOR` it is multiplied by it and `scale` moves
///   on; a request two scales behind has less than 10^-18 of its coins unpaid, counted
///   as none. A round that pays the whole pool closes the epoch: `p` starts afresh.
/// Requests admitted together (a batch) share one snapshot. Rounding: unpaid coins and
/// earned cash both round down, so the pool never owes more coins or cash than it holds;
/// the dust (below one coin-wei per request per round, below one cash unit per round)
/// stays with the desk.
library ProRataPool {
    uint256 internal constant P_UNIT = 1e36;
    uint256 internal constant SCALE_FACTOR = 1e18;
    uint256 internal constant S_PRECISION = 1e18;

    struct Snapshot {
        uint128 epoch;
        uint128 scale;
        uint256 p;
        uint256 s;
    }

    struct Pool {
        uint256 remaining; // coins admitted and not yet paid
        uint256 p;
        uint128 epoch;
        uint128 scale;
        mapping(uint256 epoch => mapping(uint256 scale => uint256)) s;
        mapping(uint256 batch => Snapshot) snapshots;
    }

    function init(Pool storage pool) internal {
        pool.p = P_UNIT;
    }

    /// @dev Admit `coins` as batch `batch`.
    function admit(Pool storage pool, uint256 batch, uint256 coins) internal {
        (uint128 e, uint128 sc) = (pool.epoch, pool.scale);
        pool.snapshots[batch] = Snapshot(e, sc, pool.p, pool.s[e][sc]);
        pool.remaining += coins;
    }

    /// @dev A round: `coins` of the pool paid for `cashPaid`; `full`: every coin paid
    /// (what is left, below one cash unit, is dust).
    function pay(Pool storage pool, uint256 coins, uint256 cashPaid, bool full) internal {
        uint256 r = pool.remaining;
        uint256 p = pool.p;
        (uint128 e, uint128 sc) = (pool.epoch, pool.scale);
        pool.s[e][sc] += Math.mulDiv(cashPaid * S_PRECISION, p, r);
        if (full) return close(pool);
        uint256 left = r - coins;
        uint256 np = Math.mulDiv(p, left, r);
        if (np < SCALE_FACTOR) {
            np = Math.mulDiv(p * SCALE_FACTOR, left, r);
            pool.scale = sc + 1;
        }
        // Zero only past 10^18 whole coins in the pool; kept above it so that what is
        // unpaid is never taken for paid.
        pool.p = np == 0 ? 1 : np;
        pool.remaining = left;
    }

    /// @dev A cancelled request takes its unpaid `coins` out.
    function withdraw(Pool storage pool, uint256 coins) internal {
        pool.remaining -= coins;
    }

    /// @dev Every admitted coin counts as paid: a new epoch starts.
    function close(Pool storage pool) internal {
        pool.remaining = 0;
        pool.epoch += 1;
        pool.scale = 0;
        pool.p = P_UNIT;
    }

    /// @dev The coins still unpaid of `amount` admitted in `batch`.
    function remainingOf(Pool storage pool, uint256 batch, uint256 amount) internal view returns (uint256) {
        Snapshot storage sn = pool.snapshots[batch];
        if (sn.epoch != pool.epoch) return 0;
        uint256 behind = pool.scale - sn.scale;
        if (behind == 0) return Math.mulDiv(amount, pool.p, sn.p);
        if (behind == 1) return Math.mulDiv(amount, pool.p, sn.p * SCALE_FACTOR);
        return 0;
    }

    /// @dev The cash earned by `amount` admitted in `batch`, in all.
    function earnedOf(Pool storage pool, uint256 batch, uint256 amount) internal view returns (uint256) {
        Snapshot storage sn = pool.snapshots[batch];
        (uint128 e, uint128 sc) = (sn.epoch, sn.scale);
        uint256 gained = pool.s[e][sc] - sn.s + pool.s[e][sc + 1] / SCALE_FACTOR;
        return Math.mulDiv(amount, gained, sn.p * S_PRECISION);
    }
}
