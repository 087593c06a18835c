// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {DateMath} from "./DateMath.sol";

/// @title CouponSchedule
/// @notice A bond's coupon dates and day-count fractions, computed from its terms:
/// coupon k (0-based) pays on `payDay(k)` and accrues from `accrualStart(k)`;
/// coupon 0 runs from the issue date to the first coupon date (a short or long
/// first period), every later one is a regular period of `stepMonths` months, and
/// the last pays at maturity.
/// @dev Hand-written: no Solidity library computes day counts. The conventions are
/// QuantLib's, so that QuantLib can serve as the tests' independent model:
///  - ACT/365F: days / 365 (`Actual365Fixed`);
///  - ACT/360: days / 360 (`Actual360`);
///  - 30/360: the ISDA bond basis (`Thirty360(BondBasis)`): D1 = 31 becomes 30,
///    then D2 = 31 becomes 30 when D1 is 30;
///  - ACT/ACT (ICMA): months/12 × days / days of the reference period
///    (`ActualActual(ISMA)` with the coupon's reference dates); a long first
///    period is split at its quasi-coupon date, as QuantLib splits it.
/// Dates are day numbers (DateMath); a fraction is returned as an exact
/// numerator and denominator, so that callers round once, in the issuer's favour.
library CouponSchedule {
    uint8 internal constant ACT_365F = 0;
    uint8 internal constant ACT_360 = 1;
    uint8 internal constant THIRTY_360 = 2;
    uint8 internal constant ACT_ACT_ICMA = 3;

    struct Dates {
        uint256 issueDay;
        uint256 firstCouponDay;
        uint256 maturityDay;
        uint256 stepMonths; // 12 / frequency
        bool endOfMonth; // the end-of-month rule applies (asked for, and the first coupon is a month-end)
        uint8 dayCount;
        uint256 firstMonthIndex; // the first coupon date's year * 12 + month - 1
        uint256 firstDayOfMonth; // and its day of the month
    }

    /// @dev The first coupon date's month index and day of month, for {Dates}.
    function monthAndDay(uint256 firstCouponDay) internal pure returns (uint256 monthIndex, uint256 dayOfMonth) {
        (uint256 y, uint256 m, uint256 d) = DateMath.toDate(firstCouponDay);
        return (y * 12 + m - 1, d);
    }

    /// @dev The payment day of coupon `k` (the same as DateMath.addMonths from the
    /// first coupon date, with one date conversion instead of two).
    function payDay(Dates memory s, uint256 k) internal pure returns (uint256) {
        if (k == 0) return s.firstCouponDay;
        uint256 index = s.firstMonthIndex + k * s.stepMonths;
        uint256 year = index / 12;
        uint256 month = index % 12 + 1;
        return DateMath.toDays(year, month, _payDayOfMonth(s, year, month));
    }

    /// @dev The first day coupon `k` accrues from.
    function accrualStart(Dates memory s, uint256 k) internal pure returns (uint256) {
        return k == 0 ? s.issueDay : payDay(s, k - 1);
    }

    /// @dev How many coupons pay on or before day `day` (capped by the caller). One
    /// date conversion: it runs on every transfer.
    function paidBy(Dates memory s, uint256 day) internal pure returns (uint256) {
        if (day < s.firstCouponDay) return 0;
        (uint256 y, uint256 m, uint256 d) = DateMath.toDate(day);
        uint256 months = y * 12 + m - 1 - s.firstMonthIndex;
        uint256 k = months / s.stepMonths;
        // Coupon k pays in `day`'s month or an earlier one; coupon k + 1 in a later one.
        if (months % s.stepMonths != 0) return k + 1;
        return _payDayOfMonth(s, y, m) <= d ? k + 1 : k;
    }

    function _payDayOfMonth(Dates memory s, uint256 year, uint256 month) private pure returns (uint256) {
        uint256 last = DateMath.monthLength(year, month);
        return s.endOfMonth || s.firstDayOfMonth > last ? last : s.firstDayOfMonth;
    }

    /// @dev The reference period of coupon 0, as QuantLib's fixed-rate leg sets it:
    /// the coupon's own dates when one step from the issue date reaches the first
    /// coupon date (a regular first period), else one step back from the first coupon date.
    function firstReferenceStart(Dates memory s) internal pure returns (uint256) {
        bool issueEom = s.endOfMonth && DateMath.isMonthEnd(s.issueDay);
        if (DateMath.addMonths(s.issueDay, int256(s.stepMonths), issueEom) == s.firstCouponDay) return s.issueDay;
        return DateMath.addMonths(s.firstCouponDay, -int256(s.stepMonths), s.endOfMonth);
    }

    /// @dev The year fraction from day `d1` to day `d2` (d1 <= d2, both within
    /// coupon `k`'s accrual period) as `num / den`.
    function yearFraction(Dates memory s, uint256 k, uint256 d1, uint256 d2)
        internal
        pure
        returns (uint256 num, uint256 den)
    {
        uint8 basis = s.dayCount;
        if (basis == ACT_365F) return (d2 - d1, 365);
        if (basis == ACT_360) return (d2 - d1, 360);
        if (basis == THIRTY_360) return (_thirty360(d1, d2), 360);
        // ACT/ACT (ICMA): step/12 × days / reference days.
        uint256 m = s.stepMonths;
        uint256 refEnd = payDay(s, k);
        uint256 refStart = k == 0 ? firstReferenceStart(s) : payDay(s, k - 1);
        if (d1 >= refStart) return (m * (d2 - d1), 12 * (refEnd - refStart));
        // A long first period: QuantLib's previous reference date is plain month
        // arithmetic (`refStart - months*Months`, no end-of-month rule).
        uint256 prevRef = DateMath.addMonths(refStart, -int256(m), false);
        if (d2 <= refStart) return (m * (d2 - d1), 12 * (refStart - prevRef));
        uint256 early = refStart - prevRef;
        uint256 late = refEnd - refStart;
        return (m * ((refStart - d1) * late + (d2 - refStart) * early), 12 * early * late);
    }

    function _thirty360(uint256 d1, uint256 d2) private pure returns (uint256) {
        (uint256 y1, uint256 m1, uint256 dd1) = DateMath.toDate(d1);
        (uint256 y2, uint256 m2, uint256 dd2) = DateMath.toDate(d2);
        if (dd1 == 31) dd1 = 30;
        if (dd2 == 31 && dd1 == 30) dd2 = 30;
        // Non-negative for d1 <= d2.
        return uint256(int256(360 * (y2 - y1)) + 30 * (int256(m2) - int256(m1)) + int256(dd2) - int256(dd1));
    }
}
