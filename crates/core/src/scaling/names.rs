//! The names a target's metrics and policies carry: ids, slugs, and the problems of a
//! metric's name and place.

use std::collections::BTreeMap;

/// `name` in letters, digits, `-` and `_`, lowercased (others as `-`): the default id
/// that names a policy Sluice owns.
pub(crate) fn slug(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect()
}

/// The problems of a metric's name and place, and its configured id, under `field`.
pub(crate) fn metric_problems(
    field: &str,
    (namespace, metric, dimensions): (&str, &str, &BTreeMap<String, String>),
    id: Option<&str>,
    add: &mut impl FnMut(&str, String),
) {
    let at = |name: &str| format!("{field}.{name}");
    if namespace.trim().is_empty() {
        add(&at("namespace"), "must not be empty".to_owned());
    }
    if metric.trim().is_empty() {
        add(&at("metric"), "must not be empty".to_owned());
    }
    for (name, message) in crate::dimensions::dimension_problems(&at("dimensions"), dimensions) {
        add(&name, message);
    }
    if let Some(message) = id.and_then(id_problem) {
        add(&at("id"), message);
    }
}

/// What is wrong with a configured `id`, if anything.
pub(crate) fn id_problem(id: &str) -> Option<String> {
    let fine = (1..=64).contains(&id.len())
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    (!fine).then(|| format!("must be 1 to 64 letters, digits, - or _, got {id:?}"))
}
