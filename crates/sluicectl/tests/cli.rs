//! sluicectl as a user runs it: the real binary, against DynamoDB in moto.

use std::path::PathBuf;
use std::process::Output;

use anyhow::Result;
use sluice_aws::{ConfigStore, ItemKind};
use sluice_testkit::{Emulators, repo_root, unique};

fn sluicectl(args: &[&str], table: Option<&str>) -> Output {
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_sluicectl"));
    command.args(args).env_remove("SLUICE_TABLE");
    if let Some(table) = table {
        command.env("SLUICE_TABLE", table);
    }
    command.output().expect("run sluicectl")
}

fn text(output: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

fn write_temp(name: &str, contents: &str) -> PathBuf {
    let path = std::env::temp_dir().join(format!("{}-{name}", unique("sluicectl")));
    std::fs::write(&path, contents).expect("write temp file");
    path
}

const EXAMPLE: &str = "infra/examples/sluice.yaml";

fn example() -> String {
    repo_root().join(EXAMPLE).display().to_string()
}

#[test]
fn validate_accepts_the_example() {
    let output = sluicectl(&["validate", "-f", &example()], None);
    let (stdout, stderr) = text(&output);
    assert!(output.status.success(), "{stderr}");
    assert!(stdout.contains("ok (3 targets, 1 profiles)"), "{stdout}");
}

#[test]
fn validate_lists_every_problem_by_path_and_fails() {
    let bad = write_temp(
        "bad.yaml",
        "targets:\n  - { name: a, cluster: c, service: s, capacity: { min: 4, max: 2 }, backlog_per_task: 0 }\n  - { name: a, cluster: c, service: s, capacity: { min: 0, max: 2 }, backlog_per_task: 1 }\n",
    );
    let output = sluicectl(&["validate", "-f", bad.to_str().unwrap_or_default()], None);
    let (_, stderr) = text(&output);
    assert!(!output.status.success());
    for expected in [
        "3 problem(s)",
        "targets[0].capacity.max: must be >= min (4)",
        "targets[0].backlog_per_task: must be a number above 0, got 0",
        "targets[1].name: duplicate target name \"a\" (also targets[0])",
    ] {
        assert!(
            stderr.contains(expected),
            "missing {expected:?} in:\n{stderr}"
        );
    }
    let wrong_type = write_temp(
        "type.json",
        r#"{"targets": [{"name": "a", "cluster": "c", "service": "s", "capacity": {"min": "none", "max": 2}, "backlog_per_task": 1}]}"#,
    );
    let output = sluicectl(
        &["validate", "-f", wrong_type.to_str().unwrap_or_default()],
        None,
    );
    assert!(
        text(&output)
            .1
            .contains("targets[0].capacity.min: invalid type: string \"none\", expected u32"),
        "{:?}",
        text(&output)
    );
}

#[test]
fn help_explains_the_commands() {
    let (stdout, _) = text(&sluicectl(&["--help"], None));
    for command in ["validate", "apply", "get", "metrics"] {
        assert!(stdout.contains(command), "{stdout}");
    }
    let (stdout, _) = text(&sluicectl(&["apply", "--help"], None));
    assert!(
        stdout.contains("--prune") && stdout.contains("SLUICE_TABLE"),
        "{stdout}"
    );
}

#[tokio::test]
async fn apply_is_idempotent_get_round_trips_and_prune_is_explicit() -> Result<()> {
    let emulators = Emulators::connect().await?;
    let table = unique("sluicectl");
    let store = emulators.create_table(&table).await?;

    let (stdout, stderr) = text(&sluicectl(&["apply", "-f", &example()], Some(&table)));
    assert!(
        stdout.contains("target gold-inference: created"),
        "{stdout}{stderr}"
    );
    assert!(
        stdout.contains("profile business-hours: created"),
        "{stdout}"
    );
    let (stdout, _) = text(&sluicectl(&["apply", "-f", &example()], Some(&table)));
    assert_eq!(
        stdout.matches(": unchanged").count(),
        4,
        "second apply changes nothing:\n{stdout}"
    );

    // get prints a document that apply accepts and that holds the same targets.
    let output = sluicectl(&["get", "targets"], Some(&table));
    let (got, stderr) = text(&output);
    assert!(output.status.success(), "{stderr}");
    let round_trip = write_temp("got.yaml", &got);
    let (stdout, _) = text(&sluicectl(
        &["apply", "-f", round_trip.to_str().unwrap_or_default()],
        Some(&table),
    ));
    assert_eq!(
        stdout.matches("target ").filter(|_| true).count(),
        3,
        "{stdout}"
    );
    assert!(
        !stdout.contains("updated") && !stdout.contains("created"),
        "{stdout}"
    );

    // A file without a target keeps it unless --prune; --dry-run changes nothing.
    let one = write_temp(
        "one.yaml",
        "targets:\n  - { name: embeddings, cluster: c, service: s, capacity: { min: 1, max: 20 }, backlog_per_task: 200 }\n",
    );
    let one = one.to_str().unwrap_or_default();
    let (stdout, _) = text(&sluicectl(&["apply", "-f", one], Some(&table)));
    assert!(stdout.contains("target embeddings: updated"), "{stdout}");
    assert!(
        stdout.contains("target gold-inference: kept (not in the file; --prune deletes it)"),
        "{stdout}"
    );
    let (stdout, _) = text(&sluicectl(
        &["apply", "-f", one, "--prune", "--dry-run"],
        Some(&table),
    ));
    assert!(
        stdout.contains("target gold-inference: would be deleted (--prune)"),
        "{stdout}"
    );
    assert_eq!(store.list(ItemKind::Target).await?.len(), 3);
    let (stdout, _) = text(&sluicectl(&["apply", "-f", one, "--prune"], Some(&table)));
    assert!(
        stdout.contains("target image-workers: deleted (--prune)"),
        "{stdout}"
    );
    let names: Vec<String> = store
        .list(ItemKind::Target)
        .await?
        .into_iter()
        .map(|i| i.name)
        .collect();
    assert_eq!(names, vec!["embeddings"]);
    Ok(())
}

#[tokio::test]
async fn an_invalid_file_writes_nothing() -> Result<()> {
    let emulators = Emulators::connect().await?;
    let table = unique("sluicectl");
    let store = emulators.create_table(&table).await?;
    let bad = write_temp(
        "bad.yaml",
        "targets:\n  - { name: ok, cluster: c, service: s, capacity: { min: 0, max: 2 }, backlog_per_task: 1 }\n  - { name: bad, cluster: c, service: s, capacity: { min: 0, max: 2 }, backlog_per_task: -1 }\n",
    );
    let output = sluicectl(
        &["apply", "-f", bad.to_str().unwrap_or_default()],
        Some(&table),
    );
    assert!(!output.status.success());
    assert!(
        text(&output).1.contains("targets[1].backlog_per_task"),
        "{:?}",
        text(&output)
    );
    assert!(
        store.list(ItemKind::Target).await?.is_empty(),
        "nothing written when any item is bad"
    );
    Ok(())
}

#[tokio::test]
async fn a_missing_table_is_a_clear_error() -> Result<()> {
    let _emulators = Emulators::connect().await?;
    let output = sluicectl(&["get", "targets"], Some("no-such-table"));
    let (_, stderr) = text(&output);
    assert!(!output.status.success());
    assert!(
        stderr.contains("cannot read the table no-such-table")
            && stderr.contains("ResourceNotFound"),
        "{stderr}"
    );
    let output = sluicectl(&["get", "targets"], None);
    assert!(text(&output).1.contains("--table"), "{:?}", text(&output));
    Ok(())
}
