//! An HTTP date (RFC 9110, section 5.6.7) as ms since the Unix epoch: the IMF-fixdate that
//! servers send, and the two obsolete forms a recipient must still accept. Only what
//! `Retry-After` needs: a date is checked (its weekday included) and never written.

const DAYS: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
const LONG_DAYS: [&str; 7] = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"];
const MONTHS: [&str; 12] = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/// `Sun, 06 Nov 1994 08:49:37 GMT`, `Sunday, 06-Nov-94 08:49:37 GMT` or
/// `Sun Nov  6 08:49:37 1994`, as ms since the Unix epoch; `None` for anything else, for a day
/// that does not exist, a weekday that does not match, or a year before 1970 or after 9999.
pub(crate) fn parse_http_date(text: &str) -> Option<f64> {
    let (weekday, date) = match text.split_once(", ") {
        Some((day, rest)) if day.len() == 3 => (index_of(&DAYS, day)?, imf_fixdate(rest)?),
        Some((day, rest)) => (index_of(&LONG_DAYS, day)?, rfc850_date(rest)?),
        None => (index_of(&DAYS, text.get(..3)?)?, asctime_date(text.get(3..)?)?),
    };
    let Date { year, month, day, seconds } = date;
    let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
    let days_in_month = [31, if leap { 29 } else { 28 }, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
    if !(1970..=9999).contains(&year) || day == 0 || day > days_in_month[month] {
        return None;
    }
    let days = days_since_epoch(year, month, day);
    // 1 January 1970 was a Thursday.
    if (days + 3) % 7 != weekday as u64 {
        return None;
    }
    Some(((days * 86_400 + seconds) * 1000) as f64)
}

/// A day and time of day, as read: `month` counts from 0.
struct Date {
    year: u64,
    month: usize,
    day: u64,
    /// Since midnight.
    seconds: u64,
}

/// `06 Nov 1994 08:49:37 GMT`
fn imf_fixdate(text: &str) -> Option<Date> {
    let [day, month, year, time, "GMT"] = fields(text, ' ')? else { return None };
    date(day.len() == 2 && year.len() == 4, year, month, day, time)
}

/// `06-Nov-94 08:49:37 GMT`; a two-digit year is 1970 to 2069.
fn rfc850_date(text: &str) -> Option<Date> {
    let [date_part, time, "GMT"] = fields(text, ' ')? else { return None };
    let [day, month, year] = fields(date_part, '-')?;
    let mut read = date(day.len() == 2 && year.len() == 2, year, month, day, time)?;
    read.year += if read.year < 70 { 2000 } else { 1900 };
    Some(read)
}

/// ` Nov  6 08:49:37 1994` (after the weekday): the day of the month is padded with a space.
fn asctime_date(text: &str) -> Option<Date> {
    let text = text.strip_prefix(' ')?;
    let (month, rest) = text.split_once(' ')?;
    let (padded, rest) = match rest.strip_prefix(' ') {
        Some(rest) => (true, rest),
        None => (false, rest),
    };
    let [day, time, year] = fields(rest, ' ')?;
    date(day.len() == if padded { 1 } else { 2 } && year.len() == 4, year, month, day, time)
}

/// The date of these fields, whether the day and year have the lengths of their form (`fits`).
fn date(fits: bool, year: &str, month: &str, day: &str, time: &str) -> Option<Date> {
    let [hours, minutes, seconds] = fields(time, ':')?;
    if !fits || ![hours, minutes, seconds].iter().all(|part| part.len() == 2) {
        return None;
    }
    let (hours, minutes, seconds) = (number(hours)?, number(minutes)?, number(seconds)?);
    if hours > 23 || minutes > 59 || seconds > 59 {
        return None;
    }
    Some(Date {
        year: number(year)?,
        month: index_of(&MONTHS, month)?,
        day: number(day)?,
        seconds: hours * 3600 + minutes * 60 + seconds,
    })
}

/// Exactly `N` parts of `text` between `separator`s.
fn fields<const N: usize>(text: &str, separator: char) -> Option<[&str; N]> {
    let mut parts = text.split(separator);
    let fields = std::array::from_fn(|_| parts.next().unwrap_or(""));
    (parts.next().is_none() && fields.iter().all(|field| !field.is_empty())).then_some(fields)
}

/// ASCII digits only.
fn number(digits: &str) -> Option<u64> {
    digits.bytes().try_fold(0u64, |sum, digit| digit.is_ascii_digit().then(|| sum * 10 + u64::from(digit - b'0')))
}

fn index_of(names: &[&str], name: &str) -> Option<usize> {
    names.iter().position(|known| *known == name)
}

/// Days from 1 January 1970 to a date on or after it (Howard Hinnant's `days_from_civil`, for
/// years from 1970 on), `month` counting from 0.
fn days_since_epoch(year: u64, month: usize, day: u64) -> u64 {
    let year = if month < 2 { year - 1 } else { year };
    let (era, year_of_era) = (year / 400, year % 400);
    let day_of_year = (153 * ((month as u64 + 10) % 12) + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

#[cfg(test)]
#[cfg(not(target_arch = "wasm32"))]
mod tests {
    use super::*;

    #[test]
    fn the_three_forms_name_the_same_time() {
        for form in ["Sun, 06 Nov 1994 08:49:37 GMT", "Sunday, 06-Nov-94 08:49:37 GMT", "Sun Nov  6 08:49:37 1994"] {
            assert_eq!(parse_http_date(form), Some(784_111_777_000.0), "{form}");
        }
        assert_eq!(parse_http_date("Thu, 01 Jan 1970 00:00:00 GMT"), Some(0.0));
        assert_eq!(parse_http_date("Fri, 31 Dec 9999 23:59:59 GMT"), Some(253_402_300_799_000.0));
        assert_eq!(parse_http_date("Wed Nov 16 08:49:37 1994"), Some(784_975_777_000.0));
        assert_eq!(parse_http_date("Thu Jan 01 00:00:00 1970"), Some(0.0), "asctime's day may have two digits");
        assert_eq!(parse_http_date("Wed, 01 Mar 2000 00:00:00 GMT"), Some(951_868_800_000.0));
        assert_eq!(parse_http_date("Tuesday, 29-Feb-00 12:00:00 GMT"), Some(951_825_600_000.0), "00 is 2000");
        assert_eq!(parse_http_date("Thursday, 01-Jan-70 00:00:00 GMT"), Some(0.0), "70 is 1970");
        assert_eq!(parse_http_date("Sunday, 01-Jan-69 00:00:00 GMT"), None, "69 is 2069, a Tuesday");
        assert_eq!(parse_http_date("Tuesday, 01-Jan-69 00:00:00 GMT"), Some(3_124_224_000_000.0));
    }

    #[test]
    fn days_that_do_not_exist_or_do_not_match_their_weekday_are_refused() {
        for bad in [
            "Mon, 06 Nov 1994 08:49:37 GMT",
            "Mon, 29 Feb 2100 00:00:00 GMT",
            "Sun, 31 Apr 2001 00:00:00 GMT",
            "Wed, 31 Dec 1969 23:59:59 GMT",
            "Sat, 01 Jan 10000 00:00:00 GMT",
            "Sun, 00 Nov 1994 08:49:37 GMT",
            "Sun, 06 Nov 1994 08:60:37 GMT",
            "Sun, 06 Nov 1994 08:49:60 GMT",
            "Sun, 6 Nov 1994 08:49:37 GMT",
            "Sun, 06 nov 1994 08:49:37 GMT",
            "Sun,  06 Nov 1994 08:49:37 GMT",
            "Sun, 06 Nov 1994 08:49:37 GMT ",
            "Sun, 06 Nov 1994 8:49:37 GMT",
            "Sun, 06 Nov 1994 08:49:+7 GMT",
            "Sun Nov 6 08:49:37 1994",
            "Sun Nov  16 08:49:37 1994",
            "Sunday, 6-Nov-94 08:49:37 GMT",
            "Sun, 06 Nov 1994 08:49:37.5 GMT",
            "Sun Nov   6 08:49:37 1994",
            "Sun Nov 106 08:49:37 1994",
            "Sun Nov  6 08:49:37 94",
            "Sunday, 06-Nov-94 08:49:37 GMT GMT",
            "Sun, 06-Nov-94 08:49:37 GMT",
            "Sunday, 06 Nov 1994 08:49:37 GMT",
            "Sun",
            "Su",
            "",
        ] {
            assert_eq!(parse_http_date(bad), None, "{bad}");
        }
    }

    proptest::proptest! {
        /// httpdate, whose reading this replaces in the package (it formatted every date back to
        /// check it), agrees on every time it can write and on strings shaped like dates.
        #[test]
        fn agrees_with_httpdate(seconds in 0u64..253_402_300_800, text in DATE_LIKE) {
            let time = std::time::UNIX_EPOCH + std::time::Duration::from_secs(seconds);
            proptest::prop_assert_eq!(parse_http_date(&httpdate::fmt_http_date(time)), Some(seconds as f64 * 1000.0));
            let theirs = httpdate::parse_http_date(&text).ok().map(|time| {
                time.duration_since(std::time::UNIX_EPOCH).unwrap().as_millis() as f64
            });
            proptest::prop_assert_eq!(parse_http_date(&text), theirs, "{}", text);
        }
    }

    /// The three forms, with digits and names drawn at random (most of them invalid).
    const DATE_LIKE: &str = "(Sun|Mon|Wed|Sat|Xyz), [0-3][0-9] (Jan|Feb|Apr|Nov|Dec) (19[6-9][0-9]|20[0-9][0-9]) \
        [0-2][0-9]:[0-6][0-9]:[0-6][0-9] GMT\
        |(Sunday|Monday|Tuesday|Wednesday|Sun), [0-3][0-9]-(Jan|Feb|Nov)-[0-9]{2} [0-2][0-9]:[0-5][0-9]:[0-5][0-9] GMT\
        |(Sun|Mon|Tue|Wed) (Jan|Feb|Mar|Nov) ( [1-9]|[0-3][0-9]) [0-2][0-9]:[0-5][0-9]:[0-5][0-9] (19|20)[0-9]{2}";
}
