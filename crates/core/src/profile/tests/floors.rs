//! The floors and caps a schedule gives, across daylight saving, and its problems.

use super::*;

#[test]
fn nth_weekday_windows_in_a_dst_gap_open_at_the_first_valid_minute() {
    // Berlin springs forward on the last Sunday of March (2026-03-29, 02:00 CET ->
    // 03:00 CEST, 01:00Z); Sydney on the first Sunday of October (2026-10-04,
    // 02:00 AEST -> 03:00 AEDT, 16:00Z the day before).
    let berlin = schedule(
        "Europe/Berlin",
        0,
        vec![window(&["sun#L"], "02:30", "03:30", 3.0)],
    );
    assert_eq!(at_utc(&berlin, "2026-03-29T00:59:00Z"), 0);
    assert_eq!(at_utc(&berlin, "2026-03-29T01:00:00Z"), 3);
    assert_eq!(at_utc(&berlin, "2026-03-29T01:29:00Z"), 3);
    assert_eq!(at_utc(&berlin, "2026-03-29T01:30:00Z"), 0);
    assert_eq!(
        at_utc(&berlin, "2026-03-22T01:45:00Z"),
        0,
        "not the last Sunday"
    );
    let sydney = schedule(
        "Australia/Sydney",
        0,
        vec![window(&["sun#1"], "02:15", "05:00", 2.0)],
    );
    assert_eq!(at_utc(&sydney, "2026-10-03T15:59:00Z"), 0);
    assert_eq!(at_utc(&sydney, "2026-10-03T16:00:00Z"), 2);
    assert_eq!(at_utc(&sydney, "2026-10-03T17:59:00Z"), 2);
    assert_eq!(at_utc(&sydney, "2026-10-03T18:00:00Z"), 0);
    // Autumn in Sydney (first Sunday of April, 03:00 AEDT -> 02:00 AEST): the
    // repeated hour opens the window once, at its first occurrence.
    let autumn = schedule(
        "Australia/Sydney",
        0,
        vec![window(&["sun#1"], "02:30", "04:00", 2.0)],
    );
    let opened: Vec<_> = autumn
        .changes("2026-04-04T14:00:00Z".parse().expect("ts"), 6, 0)
        .into_iter()
        .filter(|(_, f)| f.min_tasks == 2)
        .collect();
    assert_eq!(opened.len(), 1, "{opened:?}");
    assert_eq!(opened[0].0.to_string(), "2026-04-04T15:30:00Z");
}

#[test]
fn warnings_name_rules_that_never_open_and_edges_in_a_dst_gap() {
    let schedule = schedule(
        "Europe/Berlin",
        0,
        vec![
            month("30-L", 1.0),
            month("31", 1.0),
            month("1,L", 1.0),
            dates(&["2026-03-29"], 1.0),
            window(&["sun#L"], "02:30", "04:00", 1.0),
            window(&["sat#L"], "23:00", "02:30", 1.0),
            window(&["mon#1"], "02:30", "04:00", 1.0),
        ],
    );
    let warnings: Vec<String> = schedule
        .warnings("p", jiff::civil::date(2026, 11, 24))
        .iter()
        .map(ToString::to_string)
        .collect();
    assert_eq!(
        warnings,
        [
            "p.windows[0].days_of_month: never opens in February",
            "p.windows[1].days_of_month: never opens in February, April, June, September, November",
            "p.windows[3]: never opens between 2026-11-24 and 2030-11-26",
            "p.windows[4].start: 02:30 does not exist on 2027-03-28 in Europe/Berlin (daylight saving; 4 such day(s) in four years): the window's start moves to the first valid minute after the gap",
            // The last Saturday of March is not always the eve of the change.
            "p.windows[5].end: 02:30 does not exist on 2027-03-28 in Europe/Berlin (daylight saving; 3 such day(s) in four years): the window's end moves to the first valid minute after the gap",
        ]
    );
}

#[test]
fn a_cap_holds_only_while_its_window_is_open() {
    let night = WindowSpec {
        max_tasks: Some(2),
        ..window(&["mon"], "22:00", "06:00", 0.0)
    };
    let tight = WindowSpec {
        max_tasks: Some(1),
        ..window(&["mon"], "23:00", "23:30", 1.0)
    };
    let schedule = schedule("Europe/Berlin", 60, vec![night, tight]);
    let cap = |local: &str| floor_at_local(&schedule, local).max_tasks;
    assert_eq!(cap("2026-11-30T21:30"), None, "not ahead: a cap is no lead");
    assert_eq!(cap("2026-11-30T22:00"), Some(2));
    assert_eq!(cap("2026-11-30T23:10"), Some(1), "the smallest open cap");
    assert_eq!(cap("2026-12-01T05:59"), Some(2), "across midnight");
    assert_eq!(cap("2026-12-01T06:00"), None, "given back");
    let mut problems = Vec::new();
    let below = WindowSpec {
        max_tasks: Some(2),
        ..month("L", 3.0)
    };
    assert!(below.compile("w", &mut problems).is_none());
    assert_eq!(
        problems[0].to_string(),
        "w.max_tasks: 2 is below the window's min_tasks 3"
    );
}

#[test]
fn every_problem_is_named_by_path() {
    let profile = Profile {
        name: "p".into(),
        timezone: "Europe/Atlantis".into(),
        lead_minutes: 10,
        lead: LeadMode::Fixed,
        holidays: vec!["2026-12-24".into(), "12-31".into(), "13-01".into()],
        calendars: Vec::new(),
        windows: vec![
            window(&["mon"], "25:00", "18:00", 5.0),
            window(&["mon"], "08:00", "08:00", 5.0),
            window(&["funday"], "08:00", "09:00", -1.0),
            window(&["mon"], "08:00", "09:00", 2.5),
            month("31-30", 1.0),
            month("0", 1.0),
            WindowSpec {
                min_tasks: 1.0,
                ..WindowSpec::default()
            },
            WindowSpec {
                dates: vec!["2026-02-30".into()],
                min_tasks: 1.0,
                ..WindowSpec::default()
            },
            window(&["mon#6"], "08:00", "09:00", 1.0),
            month("BD1-BD3", 1.0),
            month("BD0", 1.0),
            month("L-2-L-5", 1.0),
            month("L-31", 1.0),
        ],
    };
    let problems: Vec<String> = Schedule::compile(&profile, "profiles[0]")
        .unwrap_err()
        .iter()
        .map(ToString::to_string)
        .collect();
    assert_eq!(
        problems,
        vec![
            "profiles[0].timezone: unknown IANA time zone \"Europe/Atlantis\"",
            "profiles[0].holidays[2]: \"13-01\" is not a date YYYY-MM-DD or a yearly MM-DD",
            "profiles[0].windows[0].start: \"25:00\" is not a time of day HH:MM (00:00 to 23:59)",
            "profiles[0].windows[1].end: must differ from start: an empty window never opens",
            "profiles[0].windows[2].days[0]: \"funday\" is not a day of the week (mon, tue, wed, thu, fri, sat, sun; mon#1 to mon#5 for the nth in the month, mon#L for the last)",
            "profiles[0].windows[2].min_tasks: must be a whole number of tasks, 0 to 100000; got -1",
            "profiles[0].windows[3].min_tasks: must be a whole number of tasks, 0 to 100000; got 2.5",
            "profiles[0].windows[4].days_of_month: \"31-30\" cannot occur: the range ends before it starts",
            "profiles[0].windows[5].days_of_month: \"0\" is not a day of the month (1-31, L, L-n, BDn for the nth business day, BDL or BDL-n)",
            "profiles[0].windows[6]: give exactly one of days, days_of_month and dates",
            "profiles[0].windows[7].dates[0]: \"2026-02-30\" is not a date YYYY-MM-DD",
            "profiles[0].windows[8].days[0]: \"mon#6\" is not a day of the week (mon, tue, wed, thu, fri, sat, sun; mon#1 to mon#5 for the nth in the month, mon#L for the last)",
            "profiles[0].windows[9].days_of_month: \"BD1-BD3\": a business day is a single day; list them (BD1,BD2,BD3)",
            "profiles[0].windows[10].days_of_month: \"BD0\" is not a day of the month (1-31, L, L-n, BDn for the nth business day, BDL or BDL-n)",
            "profiles[0].windows[11].days_of_month: \"L-2-L-5\" cannot occur: the range ends before it starts",
            "profiles[0].windows[12].days_of_month: \"L-31\" is not a day of the month (1-31, L, L-n, BDn for the nth business day, BDL or BDL-n)",
        ]
    );
}

#[test]
fn plan_lists_the_changes() {
    let s = schedule(
        "Europe/Berlin",
        10,
        vec![window(
            &["mon", "tue", "wed", "thu", "fri"],
            "08:00",
            "18:00",
            5.0,
        )],
    );
    let changes = s.changes("2026-11-30T00:00:00Z".parse().unwrap(), 24, s.lead_minutes);
    let summary: Vec<(String, u32)> = changes
        .iter()
        .map(|(at, f)| (at.to_string(), f.min_tasks))
        .collect();
    assert_eq!(
        summary,
        vec![
            ("2026-11-30T00:00:00Z".to_owned(), 0),
            ("2026-11-30T06:50:00Z".to_owned(), 5),
            ("2026-11-30T17:00:00Z".to_owned(), 0),
        ]
    );
}

/// A profile and the floors it must give: `(instant, floor, why)`, where an instant
/// ending in Z is UTC and any other is local time in the profile's zone.
struct Case {
    name: &'static str,
    timezone: &'static str,
    lead_minutes: u32,
    windows: Vec<WindowSpec>,
    floors: &'static [(&'static str, u32, &'static str)],
}

#[test]
fn floor_table() {
    let weekdays = ["mon", "tue", "wed", "thu", "fri"];
    let cases = [
        Case {
            name: "weekday windows open on their days only",
            timezone: "Europe/Berlin",
            lead_minutes: 0,
            windows: vec![window(&weekdays, "08:00", "18:00", 5.0)],
            floors: &[
                ("2026-11-30T07:59", 0, "Monday before the start"),
                ("2026-11-30T08:00", 5, "start is inclusive"),
                ("2026-11-30T17:59", 5, "open"),
                ("2026-11-30T18:00", 0, "end is exclusive"),
                ("2026-11-29T12:00", 0, "Sunday"),
            ],
        },
        Case {
            name: "lead time raises the floor early and it holds until the end",
            timezone: "Europe/Berlin",
            lead_minutes: 10,
            windows: vec![window(&["mon"], "08:00", "18:00", 5.0)],
            floors: &[
                ("2026-11-30T07:49", 0, "11 minutes ahead"),
                ("2026-11-30T07:50", 5, "10 minutes ahead"),
                ("2026-11-30T17:59", 5, "held while open"),
                ("2026-11-30T18:00", 0, "closed"),
            ],
        },
        Case {
            name: "a window may cross midnight",
            timezone: "UTC",
            lead_minutes: 0,
            windows: vec![window(&["fri"], "22:00", "02:00", 3.0)],
            floors: &[
                ("2026-11-27T21:59", 0, "before"),
                ("2026-11-27T23:30", 3, "Friday night"),
                (
                    "2026-11-28T01:59",
                    3,
                    "Saturday small hours belong to Friday's window",
                ),
                ("2026-11-28T02:00", 0, "closed"),
                ("2026-11-28T23:00", 0, "not on Saturday night"),
            ],
        },
        Case {
            name: "month end in a 30-day month, February and a leap year",
            timezone: "UTC",
            lead_minutes: 0,
            windows: vec![month("28-L", 8.0)],
            floors: &[
                ("2026-11-27T23:59", 0, "before the 28th"),
                ("2026-11-28T00:00", 8, "the 28th"),
                ("2026-11-30T23:59", 8, "30 is the last day of November"),
                ("2026-12-01T00:00", 0, "next month"),
                ("2027-02-28T12:00", 8, "28 is the last day of February 2027"),
                ("2027-03-01T00:00", 0, "March"),
                ("2028-02-29T12:00", 8, "leap day"),
            ],
        },
        Case {
            name: "L is the last day, whatever the month's length",
            timezone: "UTC",
            lead_minutes: 0,
            windows: vec![month("L", 2.0)],
            floors: &[
                ("2028-02-28T12:00", 0, "not the last day in a leap year"),
                ("2028-02-29T12:00", 2, "the leap day is"),
                ("2026-12-31T12:00", 2, "31 December"),
            ],
        },
        Case {
            name: "overlapping windows give their maximum",
            timezone: "UTC",
            lead_minutes: 0,
            windows: vec![
                window(&["mon"], "08:00", "18:00", 5.0),
                month("30", 8.0),
                window(&["mon"], "12:00", "13:00", 6.0),
            ],
            floors: &[
                ("2026-11-30T09:00", 8, "Monday the 30th: month-end wins"),
                ("2026-12-07T12:30", 6, "lunch peak over business hours"),
            ],
        },
        Case {
            name: "specific dates and whole days",
            timezone: "UTC",
            lead_minutes: 0,
            windows: vec![dates(&["2026-12-24"], 1.0)],
            floors: &[
                ("2026-12-23T23:59", 0, "the day before"),
                ("2026-12-24T00:00", 1, "from midnight"),
                ("2026-12-24T23:59", 1, "to midnight"),
                ("2026-12-25T00:00", 0, "the day after"),
            ],
        },
        Case {
            // Europe/Berlin skips 02:00-03:00 on 2027-03-28 (a Sunday).
            name: "spring forward starts at the first valid minute (Berlin)",
            timezone: "Europe/Berlin",
            lead_minutes: 0,
            windows: vec![window(&["sun"], "02:30", "05:00", 4.0)],
            floors: &[
                ("2027-03-28T00:59:00Z", 0, "01:59 CET"),
                (
                    "2027-03-28T01:00:00Z",
                    4,
                    "03:00 CEST: the first valid minute",
                ),
                ("2027-03-28T02:59:00Z", 4, "04:59 CEST"),
                ("2027-03-28T03:00:00Z", 0, "05:00 CEST"),
            ],
        },
        Case {
            // America/New_York skips 02:00-03:00 on 2027-03-14.
            name: "spring forward starts at the first valid minute (New York)",
            timezone: "America/New_York",
            lead_minutes: 0,
            windows: vec![window(&["sun"], "02:15", "04:00", 2.0)],
            floors: &[
                ("2027-03-14T06:59:00Z", 0, "01:59 EST"),
                ("2027-03-14T07:00:00Z", 2, "03:00 EDT"),
            ],
        },
        Case {
            // Europe/Berlin repeats 02:00-03:00 on 2026-10-25 (a Sunday).
            name: "fall back uses the first occurrence (Berlin)",
            timezone: "Europe/Berlin",
            lead_minutes: 0,
            windows: vec![window(&["sun"], "02:30", "02:45", 4.0)],
            floors: &[
                ("2026-10-25T00:29:00Z", 0, "02:29 CEST"),
                ("2026-10-25T00:30:00Z", 4, "02:30 CEST, first occurrence"),
                ("2026-10-25T00:45:00Z", 0, "02:45 CEST"),
                (
                    "2026-10-25T01:30:00Z",
                    0,
                    "02:30 CET, the repeat: not again",
                ),
            ],
        },
        Case {
            // America/New_York repeats 01:00-02:00 on 2026-11-01.
            name: "fall back uses the first occurrence (New York)",
            timezone: "America/New_York",
            lead_minutes: 0,
            windows: vec![window(&["sun"], "01:00", "03:00", 2.0)],
            floors: &[
                ("2026-11-01T04:59:00Z", 0, "00:59 EDT"),
                ("2026-11-01T05:00:00Z", 2, "01:00 EDT"),
                ("2026-11-01T06:30:00Z", 2, "01:30 EST, still open"),
                ("2026-11-01T08:00:00Z", 0, "03:00 EST"),
            ],
        },
    ];
    for case in cases {
        let s = schedule(case.timezone, case.lead_minutes, case.windows);
        for (instant, expected, why) in case.floors {
            let got = if instant.ends_with('Z') {
                at_utc(&s, instant)
            } else {
                floor(&s, instant)
            };
            assert_eq!(got, *expected, "{}: {instant} ({why})", case.name);
        }
    }
}

#[test]
fn overlapping_windows_name_every_window_that_gives_the_floor() {
    let s = schedule(
        "UTC",
        0,
        vec![
            window(&["mon"], "08:00", "18:00", 5.0),
            month("30", 8.0),
            window(&["mon"], "12:00", "13:00", 6.0),
        ],
    );
    assert_eq!(
        s.floor_at("2026-12-07T12:30Z".parse().unwrap()).windows,
        vec![0, 2]
    );
}

#[test]
fn a_repeated_hour_opens_a_window_once() {
    let new_york = schedule(
        "America/New_York",
        0,
        vec![window(&["sun"], "01:00", "03:00", 2.0)],
    );
    let changes = new_york.changes(
        "2026-11-01T00:00:00Z".parse().unwrap(),
        24,
        new_york.lead_minutes,
    );
    assert_eq!(
        changes.iter().filter(|(_, f)| f.min_tasks == 2).count(),
        1,
        "opens once: {changes:?}"
    );
}

#[test]
fn times_are_two_digits_each_and_compared_as_times() {
    // (start, end, problems)
    let cases = [
        (
            "+8:00",
            "18:00",
            vec![
                "profiles[0].windows[0].start: \"+8:00\" is not a time of day HH:MM (00:00 to 23:59)",
            ],
        ),
        (
            "08:00",
            "-1:00",
            vec![
                "profiles[0].windows[0].end: \"-1:00\" is not a time of day HH:MM (00:00 to 23:59, or 24:00)",
            ],
        ),
        (
            "08:00",
            "08:00",
            vec!["profiles[0].windows[0].end: must differ from start: an empty window never opens"],
        ),
        ("00:00", "24:00", vec![]),
    ];
    for (start, end, expected) in cases {
        let profile = Profile::new("p", "UTC", 0, vec![window(&["mon"], start, end, 1.0)]);
        let problems: Vec<String> = match Schedule::compile(&profile, "profiles[0]") {
            Ok(_) => Vec::new(),
            Err(problems) => problems.iter().map(ToString::to_string).collect(),
        };
        assert_eq!(problems, expected, "{start}-{end}");
    }
}
