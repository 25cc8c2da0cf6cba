//! Seeds scenarios in the local emulators and reads back what Sluice did, with the
//! raw SDK so that checks do not go through the code under test. Shared by the
//! end-to-end tests, the demo and the benchmarks.
//!
//! `Emulators` connects; `seed/` holds one module per service it seeds and reads back
//! (table, SQS, ECS, Application Auto Scaling, CloudWatch); `cargo_lambda` runs the
//! real binaries; `moto_recorder` counts the calls moto received.

mod cargo_lambda;
pub mod corpus;
pub mod faults;
pub mod moto_recorder;
pub mod probe;
mod seed {
    mod aas;
    mod cloudwatch;
    mod ecs;
    mod groups;
    pub mod scene;
    mod sqs;
    mod table;
}

use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use anyhow::{Context, Result, bail};
use sluice_aws::Clients;

pub use cargo_lambda::{
    Invocation, cargo_lambda_invoke, cargo_lambda_outcome, cargo_lambda_watch, lambda_env_args,
};
pub use seed::scene::{OneService, business_hours, fixture_names};

/// Clients pointed at the emulators by the variables `infra/emulators.sh` exports.
pub struct Emulators {
    pub config: aws_config::SdkConfig,
    pub clients: Clients,
}

impl Emulators {
    /// Fails with a clear message when the emulators are not running: end-to-end
    /// tests run through `infra/test.sh`, which starts them.
    pub async fn connect() -> Result<Self> {
        if std::env::var_os("AWS_ENDPOINT_URL").is_none()
            || std::env::var_os("AWS_ENDPOINT_URL_CLOUDWATCH").is_none()
        {
            bail!(
                "AWS_ENDPOINT_URL and AWS_ENDPOINT_URL_CLOUDWATCH are not set: run the tests with \
                 `infra/test.sh` (it starts moto and LocalStack), or `infra/emulators.sh run cargo test`"
            );
        }
        let config = sluice_aws::load_sdk_config().await;
        let clients = Clients::new(&config);
        Ok(Self { config, clients })
    }

    /// Clients like the functions', whose every request meets `plan`'s faults first,
    /// on the HTTP client the SDK chose (so retries and timeouts are the real ones).
    /// The emulators' configuration with every request passing through `probe`.
    pub fn config_with_probe(&self, probe: &probe::InFlightProbe) -> aws_config::SdkConfig {
        let inner = self
            .config
            .http_client()
            .unwrap_or_else(sluice_aws::default_https_client);
        self.config
            .to_builder()
            .http_client(probe.client(inner))
            .build()
    }

    /// The emulators as another account sees them: every request signed with the
    /// credentials moto's STS issues for `role_arn` (AssumeRole), so moto files what
    /// they create under the role's account. LocalStack keeps one account for every
    /// such key: its CloudWatch is shared by all of them.
    pub async fn in_account(&self, role_arn: &str) -> Result<Self> {
        let role = aws_config::sts::AssumeRoleProvider::builder(role_arn)
            .session_name("sluice-test")
            .configure(&self.config)
            .build()
            .await;
        let config = self
            .config
            .to_builder()
            .credentials_provider(
                aws_credential_types::provider::SharedCredentialsProvider::new(role),
            )
            .build();
        let clients = Clients::new(&config);
        Ok(Self { config, clients })
    }

    pub fn clients_with_faults(&self, plan: &faults::FaultPlan) -> Result<Clients> {
        let inner = self
            .config
            .http_client()
            .unwrap_or_else(sluice_aws::default_https_client);
        let config = self
            .config
            .to_builder()
            .http_client(plan.client(inner))
            .build();
        Ok(Clients::new(&config))
    }
}

/// A name no other test or run uses, so tests share one emulator safely.
pub fn unique(prefix: &str) -> String {
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    format!(
        "{prefix}-{}-{}-{:x}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed),
        nanos % 0xfffff
    )
}

/// The repository root, for fixtures under events/.
pub fn repo_root() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// A fixture event under events/, parsed.
pub fn fixture(path: &str) -> Result<serde_json::Value> {
    let full = repo_root().join("events").join(path);
    let text =
        std::fs::read_to_string(&full).with_context(|| format!("fixture {}", full.display()))?;
    serde_json::from_str(&text).with_context(|| format!("fixture {} is not JSON", full.display()))
}

/// The error of a call that must be refused, which must say `says`: handed back for
/// further checks; an answer, or an error that says something else, is the test's
/// failure.
pub fn refused<T: std::fmt::Debug, E: std::fmt::Display>(
    result: std::result::Result<T, E>,
    says: &str,
) -> Result<E> {
    match result {
        Ok(value) => anyhow::bail!("expected a refusal saying {says:?}, got {value:?}"),
        Err(error) => {
            anyhow::ensure!(error.to_string().contains(says), "{error}");
            Ok(error)
        }
    }
}

/// A free TCP port on loopback.
pub fn free_port() -> Result<u16> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").context("bind a free port")?;
    Ok(listener.local_addr()?.port())
}

/// How many cases each property test generates: 10,000 by default (what CI runs),
/// `PROPTEST_CASES` for a longer run. Failures are not written into the source tree.
pub fn property_config() -> proptest::test_runner::Config {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(10_000);
    proptest::test_runner::Config {
        cases,
        failure_persistence: None,
        ..proptest::test_runner::Config::default()
    }
}
