//! The days a window applies to, on every date of eight years and on known dates.

use super::*;

#[test]
fn day_rules_match_their_definition_on_every_date_of_eight_years() {
    let mut problems = Vec::new();
    let holidays = Holidays::parse(
        &["01-01".into(), "12-25".into(), "2027-05-03".into()],
        "p",
        &mut problems,
    );
    assert!(problems.is_empty());
    type Oracle = fn(Date, &[i8]) -> bool;
    let rules: [(&str, Oracle); 8] = [
        ("L-2", |d, _| d.day() == d.days_in_month() - 2),
        ("25-L-2", |d, _| {
            d.day() >= 25 && d.day() <= d.days_in_month() - 2
        }),
        ("L-3-L", |d, _| d.day() >= d.days_in_month() - 3),
        ("30-L", |d, _| d.day() >= 30),
        ("BD3", |d, bd| bd.get(2) == Some(&d.day())),
        ("BDL", |d, bd| bd.last() == Some(&d.day())),
        ("BDL-1", |d, bd| bd.len() > 1 && bd[bd.len() - 2] == d.day()),
        ("1,BD1", |d, bd| {
            d.day() == 1 || bd.first() == Some(&d.day())
        }),
    ];
    for (rule, oracle) in rules {
        let window = compiled(WindowSpec {
            on_holidays: OnHolidays::Also,
            ..month(rule, 1.0)
        });
        for date in eight_years() {
            let expected = oracle(date, &business_days_of(date, &holidays));
            assert_eq!(
                window.applies_on(date, &holidays),
                expected,
                "{rule} on {date}"
            );
        }
    }
    let weekly: [(&str, Oracle); 3] = [
        ("mon#1", |d, _| {
            d.weekday() == Weekday::Monday && d.day() <= 7
        }),
        ("wed#3", |d, _| {
            d.weekday() == Weekday::Wednesday && (15..=21).contains(&d.day())
        }),
        ("fri#L", |d, _| {
            d.weekday() == Weekday::Friday && d.day() + 7 > d.days_in_month()
        }),
    ];
    for (rule, oracle) in weekly {
        let window = compiled(window(&[rule], "08:00", "09:00", 1.0));
        for date in eight_years() {
            let expected = oracle(date, &[]);
            assert_eq!(
                window.applies_on(date, &Holidays::default()),
                expected,
                "{rule} on {date}"
            );
        }
    }
}

#[test]
fn day_rules_on_known_dates() {
    let holidays = with_holidays("UTC", &["01-01", "2026-12-24"], vec![]).holidays;
    let cases = [
        ("L-2", "2024-02-27", true),
        ("L-2", "2025-02-26", true),
        ("L-2", "2025-02-27", false),
        ("BDL", "2026-11-30", true),
        ("BDL", "2026-05-29", true),
        ("BD1", "2027-01-04", true),
        ("BD1", "2027-01-01", false),
        ("BD3", "2026-12-03", true),
        ("BDL-1", "2026-12-30", true),
        ("30-L", "2028-02-29", false),
    ];
    for (rule, date, expected) in cases {
        let window = compiled(WindowSpec {
            on_holidays: OnHolidays::Also,
            ..month(rule, 1.0)
        });
        let date: Date = date.parse().expect("date");
        assert_eq!(
            window.applies_on(date, &holidays),
            expected,
            "{rule} on {date}"
        );
    }
    let last_friday = compiled(window(&["fri#L"], "08:00", "09:00", 1.0));
    let fridays = ["2026-02-27", "2026-07-31", "2027-12-31"];
    for date in fridays {
        let date: Date = date.parse().expect("date");
        assert!(last_friday.applies_on(date, &Holidays::default()), "{date}");
    }
}

/// Issue 23 item 10: jiff reads "2026-12-24T10:00+01:00" as a date and drops the
/// rest; a profile's dates are days, written exactly so.
#[test]
fn a_date_is_a_day_written_yyyy_mm_dd() {
    for good in ["2026-12-24", "12-24", "02-29", "2028-02-29"] {
        assert_eq!(parse_holiday(good), Ok(()), "{good}");
    }
    for bad in [
        "2026-12-24T10:00:00+01:00",
        "2026-12-24T10:00",
        "2026-12-24 ",
        "12-24T10",
        "2026-02-30",
        "2026-2-3",
        "+02026-12-24",
    ] {
        assert!(parse_holiday(bad).is_err(), "{bad}");
    }
}

#[test]
fn holidays_close_windows_or_open_their_own() {
    let workdays = window(&["mon", "tue", "wed", "thu", "fri"], "08:00", "18:00", 4.0);
    let holiday = WindowSpec {
        start: Some("10:00".into()),
        end: Some("14:00".into()),
        on_holidays: OnHolidays::Only,
        ..dates(&[], 1.0)
    };
    let month_end = WindowSpec {
        on_holidays: OnHolidays::Also,
        ..month("L", 2.0)
    };
    let schedule = with_holidays(
        "Europe/Berlin",
        &["12-24", "12-31", "2026-12-28"],
        vec![workdays, holiday, month_end],
    );
    // Thursday 24 December 2026, a yearly holiday: only its own window.
    assert_eq!(floor(&schedule, "2026-12-24T09:00"), 0);
    assert_eq!(floor(&schedule, "2026-12-24T11:00"), 1);
    // Monday 28 December 2026, a dated holiday; Tuesday 29th a workday again.
    assert_eq!(floor(&schedule, "2026-12-28T09:00"), 0);
    assert_eq!(floor(&schedule, "2026-12-29T09:00"), 4);
    // Thursday 31 December: a holiday, and the month's last day, whose window
    // opens on holidays too.
    assert_eq!(floor(&schedule, "2026-12-31T09:00"), 2);
    assert_eq!(floor(&schedule, "2026-12-31T11:00"), 2);
}
