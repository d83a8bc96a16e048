//! Pure formatting of amounts, counts and times for messages and reports. No I/O.

use alloy::primitives::U256;

/// Formats base units as a decimal in token units, without trailing zeros (`1.5`, `2`, `0.000001`).
pub fn format_amount(value: U256, decimals: u8) -> String {
    let digits = value.to_string();
    let d = usize::from(decimals);
    if d == 0 {
        return digits;
    }
    let (int, frac) = if digits.len() > d {
        let (i, f) = digits.split_at(digits.len() - d);
        (i.to_string(), f.to_string())
    } else {
        ("0".to_string(), format!("{digits:0>d$}"))
    };
    let frac = frac.trim_end_matches('0');
    if frac.is_empty() {
        int
    } else {
        format!("{int}.{frac}")
    }
}

/// `1 withdrawal`, `2 withdrawals`.
pub fn plural(n: u64, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}

/// Formats a unix time as `YYYY-MM-DD HH:MM:SS UTC`.
pub fn format_time(unix: u64) -> String {
    // A timestamp past jiff's range (year 9999) prints as the number.
    match jiff::Timestamp::from_second(i64::try_from(unix).unwrap_or(i64::MAX)) {
        Ok(time) => time.strftime("%Y-%m-%d %H:%M:%S UTC").to_string(),
        Err(_) => format!("unix time {unix}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_are_utc() {
        assert_eq!(format_time(0), "1970-01-01 00:00:00 UTC");
        assert_eq!(format_time(951_782_400), "2000-02-29 00:00:00 UTC");
        assert_eq!(format_time(1_700_000_000), "2023-11-14 22:13:20 UTC");
        assert_eq!(format_time(4_102_444_799), "2099-12-31 23:59:59 UTC");
    }
}
