//! The real Lambda binaries through `cargo lambda watch` and `cargo lambda invoke`,
//! as a user tries them.

use std::time::Duration;

use anyhow::{Context, Result, bail};

use crate::repo_root;

/// The environment a function under `cargo lambda watch` needs to reach the
/// emulators, as `--env-var` arguments: watch does not pass its own environment on.
pub fn lambda_env_args(extra: &[(&str, &str)]) -> Vec<String> {
    let mut args = Vec::new();
    let forwarded = [
        "AWS_ENDPOINT_URL",
        "AWS_ENDPOINT_URL_CLOUDWATCH",
        "AWS_REGION",
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
    ];
    for name in forwarded {
        if let Ok(value) = std::env::var(name) {
            args.push("--env-var".to_owned());
            args.push(format!("{name}={value}"));
        }
    }
    for (name, value) in extra {
        args.push("--env-var".to_owned());
        args.push(format!("{name}={value}"));
    }
    args
}

/// Starts `cargo lambda watch` on `port` for the workspace's functions; it is killed
/// when the returned child is dropped.
pub fn cargo_lambda_watch(port: u16, env: &[(&str, &str)]) -> Result<tokio::process::Child> {
    let mut command = tokio::process::Command::new("cargo");
    // `cargo test` gives the test its package's CARGO_MANIFEST_DIR, CARGO_PKG_NAME, ...;
    // build scripts (ring's) rerun when those change, so the watch's build inherited
    // them and rebuilt ring and every AWS crate above it, twice a test run.
    for (name, _) in std::env::vars_os() {
        let name = name.to_string_lossy();
        if name.starts_with("CARGO_PKG_")
            || name.starts_with("CARGO_MANIFEST_")
            || [
                "CARGO_CRATE_NAME",
                "CARGO_PRIMARY_PACKAGE",
                "CARGO_TARGET_TMPDIR",
            ]
            .contains(&name.as_ref())
        {
            command.env_remove(name.as_ref());
        }
    }
    command
        .args(["lambda", "watch", "--ignore-changes", "--invoke-address", "127.0.0.1", "--invoke-port", &port.to_string()])
        .args(lambda_env_args(env))
        .current_dir(repo_root())
        .stdout(std::process::Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .context("cannot start `cargo lambda watch` (cargo-lambda comes with infra/bootstrap.sh in .venv/tools/bin)")
}

/// `cargo lambda invoke FUNCTION --data-file FIXTURE` against a watch on `port`,
/// retried while the watch server starts and compiles; returns the function's output.
pub async fn cargo_lambda_invoke(
    port: u16,
    function: &str,
    data_file: &str,
    patience: Duration,
) -> Result<String> {
    match cargo_lambda_outcome(port, function, data_file, patience).await? {
        Invocation::Answered(output) => Ok(output),
        Invocation::Failed(error) => bail!("cargo lambda invoke {function} failed: {error}"),
    }
}

/// What a function did with an event under `cargo lambda invoke`.
#[derive(Debug)]
pub enum Invocation {
    /// Its output.
    Answered(String),
    /// Its error as cargo lambda printed it: the `errorType`, then the message.
    Failed(String),
}

/// Like [`cargo_lambda_invoke`], but a function's error is an outcome, not a failure.
pub async fn cargo_lambda_outcome(
    port: u16,
    function: &str,
    data_file: &str,
    patience: Duration,
) -> Result<Invocation> {
    let deadline = std::time::Instant::now() + patience;
    loop {
        let output = tokio::process::Command::new("cargo")
            .args(["lambda", "invoke", function, "--data-file", data_file])
            .args([
                "--invoke-address",
                "127.0.0.1",
                "--invoke-port",
                &port.to_string(),
            ])
            .args(["--output-format", "json"])
            .current_dir(repo_root())
            .output()
            .await
            .context("cannot run `cargo lambda invoke`")?;
        let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
        let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
        if output.status.success() {
            return Ok(Invocation::Answered(stdout));
        }
        // A function's error names its type; anything else is the tool or the server.
        if stderr.contains("Error: Retryable.") || stderr.contains("Error: NonRetryable.") {
            return Ok(Invocation::Failed(stderr));
        }
        let starting = stderr.contains("Connection refused")
            || stderr.contains("error sending request")
            || stderr.contains("connect");
        if !starting || std::time::Instant::now() > deadline {
            bail!("cargo lambda invoke {function} failed: {stderr}{stdout}");
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}
