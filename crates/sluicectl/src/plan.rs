//! `sluicectl plan`: the floors the prescaler would set over the next hours.

use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use jiff::Timestamp;
use sluice_aws::{DynamoStore, StartUpRecords};
use sluice_core::config::{Document, Target};
use sluice_core::profile::{Floor, LeadMode, OnHolidays, Profile, Schedule, WindowSpec};
use sluice_core::startup::{self, StartUps};

use crate::cli::{PlanArgs, TableArgs};
use crate::table::{read_document_for, store, stored_profile, stored_target};

/// One change of the floor: when (local and UTC), the floor, and which windows give it.
fn plan_line(
    target: &Target,
    profile: &Profile,
    schedule: &Schedule,
    at: Timestamp,
    floor: &Floor,
) -> String {
    let local = at.to_zoned_datetime(schedule.timezone.clone());
    let shown = floor.min_tasks.max(target.capacity.min);
    let capped = if floor.min_tasks > target.capacity.max {
        format!(
            " (capped at capacity.max {}; AAS MaxCapacity may cap it further)",
            target.capacity.max
        )
    } else {
        String::new()
    };
    let windows: Vec<String> = floor
        .windows
        .iter()
        .filter_map(|i| Some(format!("[{i}] {}", describe(profile.windows.get(*i)?))))
        .collect();
    let why = if windows.is_empty() {
        format!("no window: the configured min {}", target.capacity.min)
    } else {
        windows.join("; ")
    };
    let cap = floor.max_tasks.map_or(String::new(), |cap| {
        format!(", MaxCapacity {}", cap.min(target.capacity.max))
    });
    format!(
        "{}  ({at})  floor {:>3}{cap}{capped}  {why}",
        local.strftime("%a %Y-%m-%d %H:%M %Z"),
        shown.min(target.capacity.max),
    )
}

/// A window in one line, as written: `mon,tue 08:00-18:00 min 5`.
pub fn describe(window: &WindowSpec) -> String {
    let when = if !window.days.is_empty() {
        window.days.join(",")
    } else if let Some(days) = &window.days_of_month {
        format!("days {days}")
    } else if window.dates.is_empty() {
        "holidays".to_owned()
    } else {
        window.dates.join(",")
    };
    let hours = match (&window.start, &window.end) {
        (Some(start), Some(end)) => format!(" {start}-{end}"),
        _ => " all day".to_owned(),
    };
    let holidays = match window.on_holidays {
        OnHolidays::Skip => "",
        OnHolidays::Only => " (holidays only)",
        OnHolidays::Also => " (holidays too)",
    };
    let cap = window
        .max_tasks
        .map_or(String::new(), |cap| format!(" max {cap}"));
    format!("{when}{hours} min {}{cap}{holidays}", window.min_tasks)
}

pub fn print_plan(
    target: &Target,
    profile: &Profile,
    from: Option<&str>,
    hours: u32,
    starts: Result<Option<&StartUps>, String>,
    interval_minutes: i64,
) -> Result<()> {
    let schedule = Schedule::compile(profile, "profile").map_err(|problems| {
        anyhow::anyhow!(
            "profile {} is invalid:\n{}",
            profile.name,
            sluice_core::problem::Problems(problems)
        )
    })?;
    let from = match from {
        Some(text) => text.parse::<Timestamp>().with_context(|| {
            format!("--from {text:?}: expected RFC 3339 with an offset, e.g. 2026-11-30T00:00:00Z")
        })?,
        None => Timestamp::now(),
    };
    if hours == 0 || hours > 24 * 35 {
        bail!("--hours must be from 1 to 840 (35 days)");
    }
    let lead = startup::lead(&schedule, starts, interval_minutes, from.as_second());
    outln!(
        "{}: profile {} ({}), capacity {}-{}",
        target.name,
        profile.name,
        profile.timezone,
        target.capacity.min,
        target.capacity.max
    );
    outln!("lead {} min: {}", lead.minutes, lead.why);
    outln!("floor changes over the {hours} h from {from}:");
    for (at, floor) in schedule.changes(from, hours, lead.minutes) {
        outln!("  {}", plan_line(target, profile, &schedule, at, &floor));
    }
    Ok(())
}

/// The target and its profile (or `profile`), from the file first, else the table.
async fn target_and_profile(
    document: Option<&Document>,
    store: Option<&DynamoStore>,
    target: &str,
    profile: Option<String>,
) -> Result<(Target, Profile)> {
    let need_table = |what: &str| {
        anyhow::anyhow!(
            "{what} is not in the file: give --table or set SLUICE_TABLE to read it from the table"
        )
    };
    let found = document.and_then(|d| d.targets.iter().find(|t| t.name == target).cloned());
    let target = match (found, store) {
        (Some(target), _) => target,
        (None, Some(store)) => stored_target(store, target).await?,
        (None, None) => return Err(need_table(&format!("target {target}"))),
    };
    let profile_name = profile
        .or_else(|| target.profile.clone())
        .with_context(|| format!("target {} names no profile; give --profile", target.name))?;
    let found = document.and_then(|d| d.profiles.iter().find(|p| p.name == profile_name).cloned());
    let profile = match (found, store) {
        (Some(profile), _) => profile,
        (None, Some(store)) => stored_profile(store, &profile_name).await?,
        (None, None) => return Err(need_table(&format!("profile {profile_name}"))),
    };
    Ok((target, profile))
}

pub async fn run(args: PlanArgs) -> Result<ExitCode> {
    let PlanArgs {
        target,
        hours,
        from,
        profile,
        file,
        env,
        table,
        prescale_interval_minutes,
    } = args;
    let target = target.as_str();
    let document = match file.as_deref() {
        Some(file) => match read_document_for(file, env.env.as_deref())? {
            Ok(document) => Some(document),
            Err(_) => bail!("{file} has problems (listed above)"),
        },
        None => None,
    };
    let store = match table {
        Some(table) => Some(store(&TableArgs { table }).await),
        None => None,
    };
    let (target, profile) =
        target_and_profile(document.as_ref(), store.as_ref(), target, profile).await?;
    let starts = match (profile.lead, &store) {
        (LeadMode::Fixed, _) => Ok(None),
        (LeadMode::Auto, Some(store)) => store
            .start_ups()
            .await
            .map(|mut all| all.remove(&target.name))
            .map_err(|e| e.to_string()),
        (LeadMode::Auto, None) => Err("no --table to read them from".to_owned()),
    };
    print_plan(
        &target,
        &profile,
        from.as_deref(),
        hours,
        starts.as_ref().map(Option::as_ref).map_err(Clone::clone),
        prescale_interval_minutes,
    )?;
    Ok(ExitCode::SUCCESS)
}
