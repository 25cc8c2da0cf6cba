//! What CloudWatch accepts as a metric's dimensions, checked wherever a configuration
//! names some (a GPU source, an activation metric, a team's metric). Depends on
//! nothing.

use std::collections::BTreeMap;

/// What CloudWatch refuses in a metric's dimensions (at most 30; each name and value
/// not empty, names at most 255 characters, values at most 1024), as (field, message)
/// under `path`.
pub fn dimension_problems(
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
