//! Parsing the times users type: `--since 2026-11-01`, `since=24h`.

use chrono::{DateTime, Duration, FixedOffset, NaiveDate, TimeZone, Utc};

/// Western Indonesia Time (Asia/Jakarta): UTC+7, no daylight saving.
pub fn wib() -> FixedOffset {
    FixedOffset::east_opt(7 * 3600).expect("valid offset")
}

/// Midnight WIB at the start of `date`.
pub fn wib_midnight(date: NaiveDate) -> DateTime<Utc> {
    wib()
        .from_local_datetime(&date.and_hms_opt(0, 0, 0).expect("midnight"))
        .single()
        .expect("fixed offsets are unambiguous")
        .with_timezone(&Utc)
}

/// Parses an RFC 3339 time (`2026-11-20T08:00:00+07:00`), a date (`2026-11-20`, midnight
/// Asia/Jakarta), or an age before `now` (`30m`, `24h`, `7d`).
pub fn parse_time(s: &str, now: DateTime<Utc>) -> Result<DateTime<Utc>, String> {
    let s = s.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Ok(t.with_timezone(&Utc));
    }
    if let Ok(d) = NaiveDate::parse_from_str(s, "%Y-%m-%d") {
        return Ok(wib_midnight(d));
    }
    if let Some(unit) = s.chars().last() {
        if let Ok(n) = s[..s.len() - unit.len_utf8()].parse::<i64>() {
            // Checked: an age past what a time can hold is an error, not a panic.
            let d = match unit {
                'm' => Duration::try_minutes(n),
                'h' => Duration::try_hours(n),
                'd' => Duration::try_days(n),
                _ => None,
            };
            if let Some(d) = d.filter(|_| n >= 0) {
                return now
                    .checked_sub_signed(d)
                    .ok_or_else(|| format!("{s:?} is further back than a time can be"));
            }
            if matches!(unit, 'm' | 'h' | 'd') && n >= 0 {
                return Err(format!("{s:?} is further back than a time can be"));
            }
        }
    }
    Err(format!(
        "{s:?} is not a time: use RFC 3339 (2026-11-20T08:00:00+07:00), a date (2026-11-20, \
         midnight WIB) or an age (30m, 24h, 7d)"
    ))
}

/// Parses a length of time in configuration: `30m`, `12h`, `7d` (minutes, hours, days), at least
/// one minute. Empty (or `off`) is `None`: no limit.
pub fn parse_duration(s: &str) -> Result<Option<std::time::Duration>, String> {
    let s = s.trim();
    if s.is_empty() || s == "off" {
        return Ok(None);
    }
    let bad = || {
        format!("{s:?} is not a length of time: write minutes, hours or days (30m, 12h, 7d), or \"\" for none")
    };
    let unit = s.chars().last().ok_or_else(bad)?;
    let n: u64 = s[..s.len() - unit.len_utf8()].parse().map_err(|_| bad())?;
    let secs = match unit {
        'm' => n.checked_mul(60),
        'h' => n.checked_mul(3600),
        'd' => n.checked_mul(86_400),
        _ => return Err(bad()),
    }
    .filter(|s| *s >= 60 && *s <= 100 * 365 * 86_400)
    .ok_or_else(bad)?;
    Ok(Some(std::time::Duration::from_secs(secs)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration(""), Ok(None));
        assert_eq!(parse_duration("off"), Ok(None));
        assert_eq!(
            parse_duration("7d"),
            Ok(Some(std::time::Duration::from_secs(7 * 86_400)))
        );
        assert_eq!(
            parse_duration(" 90m "),
            Ok(Some(std::time::Duration::from_secs(5400)))
        );
        for bad in ["7", "d", "7w", "-1d", "0m", "99999999999999999d", "1.5h"] {
            assert!(parse_duration(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn ages_too_large_for_a_time_are_errors_not_panics() {
        let now: DateTime<Utc> = "2026-11-23T00:00:00Z".parse().unwrap();
        for s in ["844801619628h", "9223372036854775807m", "99999999999d"] {
            let e = parse_time(s, now).unwrap_err();
            assert!(e.contains("further back"), "{s}: {e}");
        }
        assert!(parse_time("353339h", now).is_ok(), "about 40 years back");
    }

    #[test]
    fn forms() {
        let now: DateTime<Utc> = "2026-11-23T00:00:00Z".parse().unwrap();
        assert_eq!(
            parse_time("2026-11-20", now).unwrap().to_rfc3339(),
            "2026-11-19T17:00:00+00:00"
        );
        assert_eq!(
            parse_time("2026-11-20T08:00:00+07:00", now)
                .unwrap()
                .to_rfc3339(),
            "2026-11-20T01:00:00+00:00"
        );
        assert_eq!(
            parse_time("24h", now).unwrap().to_rfc3339(),
            "2026-11-22T00:00:00+00:00"
        );
        assert!(parse_time("kemarin", now)
            .unwrap_err()
            .contains("is not a time"));
        assert!(parse_time("-3d", now).is_err());
    }
}
