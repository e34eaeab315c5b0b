//! A calendar month (`YYYY-MM`): the unit of payroll cycles, benefit start and end, and income.
//! Validated once at the edge; inside, months compare, step and print without re-checking.

use chrono::{Datelike, NaiveDate};
use std::fmt;

/// A month of the Gregorian calendar, stored as `YYYY-MM` text in the database.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Month {
    year: i32,
    month: u32,
}

/// Why a text is not a month.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("月份“{0}”无效：应为 YYYY-MM，例如 2020-03")]
pub struct MonthError(pub String);

impl Month {
    /// Parses `YYYY-MM` (years 1900–2199).
    pub fn parse(text: &str) -> Result<Month, MonthError> {
        let t = text.trim();
        let bad = || MonthError(t.to_owned());
        let (y, m) = t.split_once('-').ok_or_else(bad)?;
        if y.len() != 4 || m.len() != 2 {
            return Err(bad());
        }
        let year: i32 = y.parse().map_err(|_| bad())?;
        let month: u32 = m.parse().map_err(|_| bad())?;
        if !(1900..=2199).contains(&year) || !(1..=12).contains(&month) {
            return Err(bad());
        }
        Ok(Month { year, month })
    }

    /// The month a date falls in.
    pub fn of(date: NaiveDate) -> Month {
        Month {
            year: date.year(),
            month: date.month(),
        }
    }

    /// Its first day (the date dated parameters are read on).
    pub fn first_day(self) -> NaiveDate {
        NaiveDate::from_ymd_opt(self.year, self.month, 1).unwrap_or(NaiveDate::MIN)
    }

    /// Its last day.
    pub fn last_day(self) -> NaiveDate {
        self.plus(1)
            .first_day()
            .pred_opt()
            .unwrap_or(NaiveDate::MIN)
    }

    /// The month `n` months later (earlier when negative).
    pub fn plus(self, n: i32) -> Month {
        let index = self.year * 12 + self.month as i32 - 1 + n;
        Month {
            year: index.div_euclid(12),
            month: (index.rem_euclid(12) + 1) as u32,
        }
    }

    /// Months from `self` to `later` (negative when `later` is earlier).
    pub fn months_until(self, later: Month) -> i32 {
        (later.year * 12 + later.month as i32) - (self.year * 12 + self.month as i32)
    }

    /// The year.
    pub fn year(self) -> i32 {
        self.year
    }

    /// The month of the year, 1–12.
    pub fn month(self) -> u32 {
        self.month
    }
}

impl fmt::Display for Month {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}", self.year, self.month)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_steps_and_prints() {
        let m = Month::parse("2020-03").unwrap();
        assert_eq!(m.to_string(), "2020-03");
        assert_eq!(m.plus(10).to_string(), "2021-01");
        assert_eq!(m.plus(-3).to_string(), "2019-12");
        assert_eq!(m.months_until(Month::parse("2021-02").unwrap()), 11);
        assert_eq!(m.last_day(), NaiveDate::from_ymd_opt(2020, 3, 31).unwrap());
        assert_eq!(
            Month::parse("2020-02").unwrap().last_day(),
            NaiveDate::from_ymd_opt(2020, 2, 29).unwrap()
        );
        for bad in ["2020-13", "2020-3", "20-03", "2020/03", "", "2020-00"] {
            assert!(Month::parse(bad).is_err(), "{bad}");
        }
    }
}
