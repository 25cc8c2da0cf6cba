//! What the sluicectl tests share: running the binary, the emulators with a fresh
//! table, and temporary files.

#![allow(
    clippy::expect_used,
    dead_code,
    reason = "test helpers: a failure here is a failed test; not every test file uses all"
)]

use std::path::PathBuf;
use std::process::Output;

use sluice_aws::DynamoStore;
use sluice_testkit::{Emulators, repo_root, unique};

/// Runs the built sluicectl with `SLUICE_TABLE` set to `table` (or unset).
pub fn sluicectl(args: &[&str], table: Option<&str>) -> Output {
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_sluicectl"));
    command.args(args).env_remove("SLUICE_TABLE");
    if let Some(table) = table {
        command.env("SLUICE_TABLE", table);
    }
    command.output().expect("run sluicectl")
}

/// Runs sluicectl as [`sluicectl`] does and returns its standard output; a failed run
/// fails the test with its standard error.
pub fn succeeds(args: &[&str], table: Option<&str>) -> String {
    let output = sluicectl(args, table);
    let (stdout, stderr) = text(&output);
    assert!(output.status.success(), "{args:?}: {stderr}");
    stdout
}

/// Runs sluicectl as [`sluicectl`] does, which must fail saying each of `says` on
/// standard error; returns standard error.
pub fn fails_saying(args: &[&str], table: Option<&str>, says: &[&str]) -> String {
    let output = sluicectl(args, table);
    let (_, stderr) = text(&output);
    assert!(!output.status.success(), "{args:?} succeeded: {stderr}");
    for said in says {
        assert!(stderr.contains(said), "{args:?}: {said:?} not in {stderr}");
    }
    stderr
}

pub fn text(output: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

pub fn write_temp(name: &str, contents: &str) -> PathBuf {
    let path = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("{}-{name}", unique("sluicectl")));
    std::fs::write(&path, contents).expect("write temp file");
    path
}

pub const EXAMPLE: &str = "infra/examples/sluice.yaml";

pub fn example() -> String {
    repo_root().join(EXAMPLE).display().to_string()
}

/// The example applied to `table` without scaling: every target created, or the test
/// fails. Its standard output.
pub fn apply_example(table: &str) -> String {
    let stdout = succeeds(&["apply", "--skip-scaling", "-f", &example()], Some(table));
    assert!(
        stdout.contains("target gold-inference: created"),
        "{stdout}"
    );
    stdout
}

/// The emulators and a config table of its own, named after `name`: where most tests
/// start.
pub async fn fresh_table(name: &str) -> anyhow::Result<(Emulators, String, DynamoStore)> {
    let emulators = Emulators::connect().await?;
    let table = unique(name);
    let store = emulators.create_table(&table).await?;
    Ok((emulators, table, store))
}
