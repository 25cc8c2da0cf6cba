//! The checks the parts of a target share: CloudWatch dimensions, and a collector of
//! problems by path.

use std::collections::BTreeMap;

use crate::problem::Problem;

/// What CloudWatch refuses in a metric's dimensions (at most 30; each name and value
/// not empty, names at most 255 characters, values at most 1024), as (field, message)
/// under `path`.
pub(crate) fn dimension_problems(
    path: &str,
    dimensions: &BTreeMap<String, String>,
) -> Vec<(String, String)> {
    let mut problems = Vec::new();
    if dimensions.len() > 30 {
        problems.push((
            path.to_owned(),
            format!(
                "CloudWatch allows at most 30 dimensions, got {}",
                dimensions.len()
            ),
        ));
    }
    for (name, value) in dimensions {
        if name.trim().is_empty() || name.chars().count() > 255 {
            problems.push((
                path.to_owned(),
                format!("dimension name {name:?} must be 1 to 255 characters"),
            ));
        }
        if value.trim().is_empty() || value.chars().count() > 1024 {
            problems.push((
                format!("{path}.{name}"),
                format!("must be 1 to 1024 characters, got {value:?}"),
            ));
        }
    }
    problems
}

pub(super) struct Found<'p> {
    path: &'p str,
    pub(super) problems: Vec<Problem>,
}

impl<'p> Found<'p> {
    pub(super) fn at(path: &'p str) -> Self {
        Found {
            path,
            problems: Vec::new(),
        }
    }

    pub(super) fn add(&mut self, field: &str, message: String) {
        self.problems
            .push(Problem::new(format!("{}.{field}", self.path), message));
    }

    pub(super) fn not_blank(&mut self, field: &str, value: &str) {
        if value.trim().is_empty() {
            self.add(field, "must not be empty".to_owned());
        }
    }
}
