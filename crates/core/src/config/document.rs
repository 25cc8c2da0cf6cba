//! A configuration file as a whole: its targets, profiles, calendars and budgets,
//! how it is read (with the path of a field that does not parse) and what it warns of.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

use super::Target;
use crate::budget::Budget;
use crate::place::Home;
use crate::problem::{Problem, Problems};
use crate::profile::Profile;

/// A configuration file: any number of targets and profiles.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Document {
    #[serde(default)]
    pub targets: Vec<Target>,
    #[serde(default)]
    pub profiles: Vec<Profile>,
    /// Named lists of holidays, defined once and referenced by profiles
    /// (`profiles[].calendars`); resolved into each profile's `holidays` when the file
    /// is read, so a stored profile carries its dates.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub calendars: Vec<Calendar>,
    /// What targets may spend per day or month (crate::budget).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub budgets: Vec<Budget>,
}

/// A named list of days off: `YYYY-MM-DD`, or `MM-DD` for every year.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Calendar {
    pub name: String,
    pub dates: Vec<String>,
}

/// The input formats `sluicectl` reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Yaml,
    Json,
}

impl Format {
    /// JSON for `.json` files, YAML otherwise (YAML is a superset of JSON anyway).
    pub fn from_path(path: &str) -> Self {
        if path.to_ascii_lowercase().ends_with(".json") {
            Format::Json
        } else {
            Format::Yaml
        }
    }
}

impl Document {
    /// What is valid but likely not meant, by path: each profile's
    /// [`Schedule::warnings`](crate::profile::Schedule::warnings) from `from`, a
    /// target naming a profile the file does not define (valid only if the table
    /// holds it already: the prescaler leaves the target alone until it is applied),
    /// and each target's [`Scaling::warnings`](crate::scaling::Scaling::warnings).
    pub fn warnings(&self, from: jiff::civil::Date) -> Vec<Problem> {
        let schedules = self
            .profiles
            .iter()
            .enumerate()
            .filter_map(|(index, profile)| {
                let path = format!("profiles[{index}]");
                let schedule = crate::profile::Schedule::compile(profile, &path).ok()?;
                Some(schedule.warnings(&path, from))
            });
        let elsewhere = self
            .targets
            .iter()
            .enumerate()
            .filter_map(|(index, target)| {
                let name = target.profile.as_ref()?;
                let defined = self.profiles.iter().any(|p| &p.name == name);
                (!defined).then(|| {
                    Problem::new(
                        format!("targets[{index}].profile"),
                        format!(
                            "{name:?} is not defined in this file: it must be in the table \
                         already, or the prescaler leaves the target alone"
                        ),
                    )
                })
            });
        let scaling = self.targets.iter().enumerate().flat_map(|(index, target)| {
            let path = format!("targets[{index}].scaling");
            let (sleeps, has_queues) = (target.scale_to_zero.is_some(), !target.queues.is_empty());
            target.scaling.warnings(&path, sleeps, has_queues)
        });
        schedules
            .flatten()
            .chain(elsewhere)
            .chain(scaling)
            .collect()
    }

    /// Parses and validates; a type error stops at the first field (the parser cannot
    /// go on), semantic problems are all listed.
    pub fn parse(text: &str, format: Format) -> Result<Document, Problems> {
        // JSON is YAML too: one size check for both.
        crate::yaml::check_size(text)
            .map_err(|message| Problems(vec![Problem::new("(document)", message)]))?;
        let document: Document = match format {
            Format::Json => {
                let mut deserializer = serde_json::Deserializer::from_str(text);
                serde_path_to_error::deserialize(&mut deserializer).map_err(path_error)?
            }
            Format::Yaml => {
                let deserializer = serde_yaml_ng::Deserializer::from_str(text);
                serde_path_to_error::deserialize(deserializer).map_err(path_error)?
            }
        };
        let mut document = document;
        document.resolve_calendars()?;
        document.validate()?;
        Ok(document)
    }

    /// The document as one environment runs it: each target's `capacity_by_env.<env>`
    /// (where it names one) as its `capacity`, and no target carrying the map, so what
    /// is stored is what runs. None: `capacity` as written. An environment no target
    /// names is refused: a misspelt `--env` would otherwise apply one environment's
    /// bounds to another. The result is validated again (a wake count above an
    /// environment's max, say).
    pub fn for_env(mut self, env: Option<&str>) -> Result<Document, Problems> {
        if let Some(env) = env
            && !self
                .targets
                .iter()
                .any(|t| t.capacity_by_env.contains_key(env))
        {
            let named = self.environments();
            return Err(Problems(vec![Problem::new(
                "--env",
                format!(
                    "no target declares capacity_by_env.{env} (declared: {})",
                    if named.is_empty() {
                        "none".to_owned()
                    } else {
                        named.join(", ")
                    }
                ),
            )]));
        }
        for target in &mut self.targets {
            let by_env = std::mem::take(&mut target.capacity_by_env);
            if let Some(capacity) = env.and_then(|env| by_env.get(env)) {
                target.capacity = *capacity;
            }
        }
        self.validate()?;
        Ok(self)
    }

    /// Every environment the document's targets name, for `validate` to check each.
    pub fn environments(&self) -> Vec<String> {
        let named: std::collections::BTreeSet<&String> = self
            .targets
            .iter()
            .flat_map(|t| t.capacity_by_env.keys())
            .collect();
        named.into_iter().cloned().collect()
    }

    /// Adds each profile's referenced calendars to its holidays, once each; an unknown
    /// or duplicate calendar name is a problem by path.
    fn resolve_calendars(&mut self) -> Result<(), Problems> {
        let mut problems = Vec::new();
        let mut named: BTreeMap<&str, &Calendar> = BTreeMap::new();
        let mut calendar_names = Names::of("calendars", "calendar");
        for (index, calendar) in self.calendars.iter().enumerate() {
            for (at, date) in calendar.dates.iter().enumerate() {
                if let Err(message) = crate::profile::parse_holiday(date) {
                    problems.push(Problem::new(
                        format!("calendars[{index}].dates[{at}]"),
                        message,
                    ));
                }
            }
            problems.extend(calendar_names.repeated(index, &calendar.name));
            named.insert(calendar.name.as_str(), calendar);
        }
        let known: Vec<&str> = named.keys().copied().collect();
        for (index, profile) in self.profiles.iter_mut().enumerate() {
            for (at, name) in std::mem::take(&mut profile.calendars).iter().enumerate() {
                let Some(calendar) = named.get(name.as_str()) else {
                    problems.push(Problem::new(
                        format!("profiles[{index}].calendars[{at}]"),
                        format!("no calendar named {name:?} (defined: {})", known.join(", ")),
                    ));
                    continue;
                };
                for date in &calendar.dates {
                    if !profile.holidays.contains(date) {
                        profile.holidays.push(date.clone());
                    }
                }
            }
        }
        if problems.is_empty() {
            Ok(())
        } else {
            Err(Problems(problems))
        }
    }

    pub fn to_yaml(&self) -> Result<String, serde_yaml_ng::Error> {
        serde_yaml_ng::to_string(self)
    }

    /// Two targets on one service, with the stack's own account and region `home`
    /// filled in where a target names none: a region spelled out, or a role in the
    /// stack's own account, is the same service as the default. `validate` knows no
    /// home; `sluicectl apply` checks again with the one it runs against.
    pub fn same_service_problems(&self, home: &Home) -> Vec<Problem> {
        let mut problems = Vec::new();
        for (index, target) in self.targets.iter().enumerate() {
            let service = target.service_key();
            if let Some(first) = self.targets[..index]
                .iter()
                .position(|t| t.service_anywhere(home) == target.service_anywhere(home))
            {
                problems.push(Problem::new(
                    format!("targets[{index}].service"),
                    format!(
                        "service {}/{} is already the target {:?} (targets[{first}]); two targets would fight over one service",
                        service.0, service.1, self.targets[first].name
                    ),
                ));
            }
        }
        problems
    }

    pub fn validate(&self) -> Result<(), Problems> {
        let mut problems = Vec::new();
        let mut names = Names::of("targets", "target");
        for (index, target) in self.targets.iter().enumerate() {
            problems.extend(names.repeated(index, &target.name));
            problems.extend(target.problems(&format!("targets[{index}]")));
        }
        problems.extend(self.same_service_problems(&Home::default()));
        let mut names = Names::of("profiles", "profile");
        for (index, profile) in self.profiles.iter().enumerate() {
            let path = format!("profiles[{index}]");
            problems.extend(names.repeated(index, &profile.name));
            problems.extend(profile.problems(&path));
            for (window_index, window) in profile.windows.iter().enumerate() {
                for target in self
                    .targets
                    .iter()
                    .filter(|t| t.profile.as_deref() == Some(profile.name.as_str()))
                {
                    if window.min_tasks > f64::from(target.capacity.max) {
                        problems.push(Problem {
                            path: format!("{path}.windows[{window_index}].min_tasks"),
                            message: format!(
                                "{} is above capacity.max ({}) of target {:?}, which uses this profile",
                                window.min_tasks, target.capacity.max, target.name
                            ),
                        });
                    }
                }
            }
        }
        problems.extend(self.budget_problems());
        problems.extend(self.group_problems());
        Problems::into_result(problems)
    }

    /// Targets that share an Auto Scaling group must raise the same floor of it: the
    /// prescaler keeps one record of its raise per group, so a MinSize raise and a warm
    /// pool raise on one group would take each other's record (MinSize 2 -> 3 -> 0,
    /// below what the group's owners set, and a warm pool stranded).
    fn group_problems(&self) -> Vec<Problem> {
        let mut problems = Vec::new();
        for (index, target) in self.targets.iter().enumerate() {
            let Some(mine) = &target.instances else {
                continue;
            };
            let other = self.targets[..index]
                .iter()
                .enumerate()
                .find_map(|(first, t)| {
                    let theirs = t.instances.as_ref()?;
                    (theirs.auto_scaling_group == mine.auto_scaling_group
                        && theirs.floor != mine.floor
                        && t.region == target.region
                        && t.role_arn == target.role_arn)
                        .then_some((first, theirs.floor))
                });
            if let Some((first, floor)) = other {
                problems.push(Problem::new(
                    format!("targets[{index}].instances.floor"),
                    format!(
                        "group {:?} is raised as {:?} by targets[{first}] and as {:?} here: one \
                         group takes one kind of floor",
                        mine.auto_scaling_group, floor, mine.floor
                    ),
                ));
            }
        }
        problems
    }

    /// Each budget's problems, and duplicate budget names.
    fn budget_problems(&self) -> Vec<Problem> {
        let targets: Vec<&str> = self.targets.iter().map(|t| t.name.as_str()).collect();
        let mut problems = Vec::new();
        let mut names = Names::of("budgets", "budget");
        for (index, budget) in self.budgets.iter().enumerate() {
            let path = format!("budgets[{index}]");
            problems.extend(names.repeated(index, &budget.name));
            problems.extend(budget.problems(&path, &targets));
            if budget.mode == crate::budget::BudgetMode::Enforce {
                for name in &budget.targets {
                    let unplanned = self
                        .targets
                        .iter()
                        .any(|t| &t.name == name && t.profile.is_none());
                    if unplanned {
                        problems.push(Problem::new(
                            format!("{path}.targets"),
                            format!(
                                "target {name:?} has no profile: the prescaler plans only targets \
                                 with one, so an enforcing budget could never cap it (give it a \
                                 profile, or use mode: alert)"
                            ),
                        ));
                    }
                }
            }
        }
        problems
    }
}

fn path_error<E: fmt::Display>(error: serde_path_to_error::Error<E>) -> Problems {
    let path = error.path().to_string();
    // The root, or a key with no name ("": value), has no path of its own to show.
    let path = if path == "." || path.is_empty() {
        "(document)".to_owned()
    } else {
        path
    };
    let message = error.into_inner().to_string();
    // The YAML parser already prefixes its message with the path: say it once.
    let message = match message.split_once(": ") {
        Some((prefix, rest)) if path.starts_with(prefix) => rest.to_owned(),
        _ => message,
    };
    Problems(vec![Problem { path, message }])
}

/// The names a list has held so far: Sluice finds targets, profiles, budgets and
/// calendars by name, so a name may stand once in its list.
struct Names<'a> {
    list: &'static str,
    kind: &'static str,
    first_at: BTreeMap<&'a str, usize>,
}

impl<'a> Names<'a> {
    fn of(list: &'static str, kind: &'static str) -> Self {
        Names {
            list,
            kind,
            first_at: BTreeMap::new(),
        }
    }

    /// A problem at `list[index].name` when an earlier entry had `name`.
    fn repeated(&mut self, index: usize, name: &'a str) -> Option<Problem> {
        let first = *self.first_at.entry(name).or_insert(index);
        let (list, kind) = (self.list, self.kind);
        (first != index).then(|| {
            Problem::new(
                format!("{list}[{index}].name"),
                format!("duplicate {kind} name {name:?} (also {list}[{first}])"),
            )
        })
    }
}
