// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

/// @title DateMath
/// @notice Civil (proleptic Gregorian, UTC) dates as day numbers since 1970-01-01,
/// and month arithmetic as bond schedules use it.
/// @dev Hand-written because neither OpenZeppelin nor any package this project can
/// install ships calendar arithmetic for Solidity. The conversions are Howard
/// Hinnant's `days_from_civil` / `civil_from_days` (public domain, exact for every
/// date from year 0 on), restricted to days >= 0. Month arithmetic follows
/// QuantLib's `Date + Period(n, Months)` on a calendar without holidays: the day of
/// the month is kept and clipped to the month's length (31 Aug + 6M = 28/29 Feb),
/// and with the end-of-month rule a month-end date stays on month-ends. The tests
/// check both against Python's `datetime` and QuantLib.
library DateMath {
    uint256 internal constant SECONDS_PER_DAY = 86_400;

    /// @dev The day number of `year`-`month`-`day` (month 1..12, day 1..31).
    function toDays(uint256 year, uint256 month, uint256 day) internal pure returns (uint256) {
        unchecked {
            // Shift the year to start in March, so that February's length comes last.
            uint256 y = month <= 2 ? year - 1 : year;
            uint256 era = y / 400;
            uint256 yoe = y - era * 400; // [0, 399]
            uint256 mp = month > 2 ? month - 3 : month + 9; // [0, 11], March = 0
            uint256 doy = (153 * mp + 2) / 5 + day - 1; // [0, 365]
            uint256 doe = yoe * 365 + yoe / 4 - yoe / 100 + doy; // [0, 146096]
            return era * 146_097 + doe - 719_468;
        }
    }

    /// @dev The civil date of day number `dayNumber`.
    function toDate(uint256 dayNumber) internal pure returns (uint256 year, uint256 month, uint256 day) {
        unchecked {
            uint256 z = dayNumber + 719_468;
            uint256 era = z / 146_097;
            uint256 doe = z - era * 146_097; // [0, 146096]
            uint256 yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365; // [0, 399]
            uint256 doy = doe - (365 * yoe + yoe / 4 - yoe / 100); // [0, 365]
            uint256 mp = (5 * doy + 2) / 153; // [0, 11]
            day = doy - (153 * mp + 2) / 5 + 1;
            month = mp < 10 ? mp + 3 : mp - 9;
            year = yoe + era * 400 + (month <= 2 ? 1 : 0);
        }
    }

    /// @dev The number of days in `month` of `year`.
    function monthLength(uint256 year, uint256 month) internal pure returns (uint256) {
        if (month == 2) return (year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)) ? 29 : 28;
        return (month == 4 || month == 6 || month == 9 || month == 11) ? 30 : 31;
    }

    /// @dev Whether day number `dayNumber` is the last day of its month.
    function isMonthEnd(uint256 dayNumber) internal pure returns (bool) {
        (uint256 y, uint256 m, uint256 d) = toDate(dayNumber);
        return d == monthLength(y, m);
    }

    /// @dev `dayNumber` moved by `months` (negative: back), the day clipped to the
    /// target month's length; with `endOfMonth`, the target month's last day.
    function addMonths(uint256 dayNumber, int256 months, bool endOfMonth) internal pure returns (uint256) {
        (uint256 y, uint256 m, uint256 d) = toDate(dayNumber);
        // Months counted from year 0 (non-negative for every day number >= 0).
        int256 index = int256(y * 12 + m - 1) + months;
        uint256 ny = uint256(index / 12);
        uint256 nm = uint256(index % 12) + 1;
        uint256 last = monthLength(ny, nm);
        return toDays(ny, nm, endOfMonth || d > last ? last : d);
    }

    /// @dev Whole months from `fromDay`'s month to `toDay`'s month (day of month ignored).
    function monthsBetween(uint256 fromDay, uint256 toDay) internal pure returns (int256) {
        (uint256 y1, uint256 m1,) = toDate(fromDay);
        (uint256 y2, uint256 m2,) = toDate(toDay);
        return int256(y2 * 12 + m2) - int256(y1 * 12 + m1);
    }
}
