//! tests/corpus: inputs every function and `sluicectl` must refuse, each beside a
//! `.expected` file holding a phrase its error must contain.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, ensure};

use crate::repo_root;

/// One corpus input and the phrase its refusal must contain.
#[derive(Debug, Clone)]
pub struct Entry {
    /// The file, relative to the repository root (as `cargo lambda invoke` takes it).
    pub path: String,
    pub text: String,
    pub expected: String,
}

/// The entries under `tests/corpus/{dir}` with one of `extensions`, sorted by name.
pub fn entries(dir: &str, extensions: &[&str]) -> Result<Vec<Entry>> {
    let root = repo_root();
    let folder = root.join("tests/corpus").join(dir);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&folder)
        .with_context(|| folder.display().to_string())?
        .filter_map(|entry| entry.ok().map(|entry| entry.path()))
        .filter(|path| {
            path.extension()
                .is_some_and(|x| extensions.iter().any(|e| x == *e))
        })
        .collect();
    files.sort();
    ensure!(!files.is_empty(), "no corpus under {}", folder.display());
    files.iter().map(|file| entry(&root, file)).collect()
}

fn entry(root: &Path, file: &Path) -> Result<Entry> {
    let expected_file = file.with_extension("expected");
    let expected = std::fs::read_to_string(&expected_file)
        .with_context(|| format!("{} has no .expected beside it", file.display()))?;
    Ok(Entry {
        path: file
            .strip_prefix(root)
            .unwrap_or(file)
            .display()
            .to_string(),
        text: std::fs::read_to_string(file).with_context(|| file.display().to_string())?,
        expected: expected.trim().to_owned(),
    })
}

/// Whether `said` contains `phrase`, whitespace aside: terminals wrap long errors.
pub fn says(said: &str, phrase: &str) -> bool {
    let squeeze = |text: &str| -> String {
        text.chars()
            .filter(|c| !c.is_whitespace() && *c != '│')
            .collect()
    };
    squeeze(said).contains(&squeeze(phrase))
}
