//! The problems of the parts of a target, collected by path.

use crate::problem::Problem;

/// Problems of one part of a document, each under the part's path.
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
