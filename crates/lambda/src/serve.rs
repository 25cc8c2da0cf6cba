//! What every function's `main` does around its handler: JSON logs, settings read at
//! start (a bad one stops the function with the variable named), and each
//! invocation's error turned into a diagnostic that says whether a retry helps.

use std::future::Future;
use std::path::{Path, PathBuf};
use std::time::{Instant, SystemTime};

use lambda_runtime::{Diagnostic, Error, LambdaEvent, run, service_fn};
use serde::Serialize;
use serde_json::Value;

use crate::failure::Failure;

/// Starts the log subscriber, checks the trust bundle and reads the settings,
/// logging a bad one so it shows in the function's JSON logs too.
pub fn start<S, E: std::error::Error + Send + Sync + 'static>(
    settings: impl FnOnce() -> Result<S, E>,
) -> Result<S, Error> {
    init_logs();
    let trust = std::env::var_os(TRUST_BUNDLE).map(PathBuf::from);
    trust_bundle_readable(trust.as_deref())
        .inspect_err(|error| tracing::error!(%error, "cannot start"))?;
    Ok(settings().inspect_err(|error| tracing::error!(%error, "cannot start"))?)
}

/// The one file the SDK's TLS client reads its trusted roots from when set (the
/// template's TrustBundle), instead of probing the system's bundle and directories.
pub const TRUST_BUNDLE: &str = "SSL_CERT_FILE";

/// A trust bundle that cannot be read.
#[derive(Debug, thiserror::Error)]
#[error(
    "{TRUST_BUNDLE} names {path}, which cannot be read ({reason}): the functions would \
     trust no certificate and every AWS call would fail its TLS handshake. Set the \
     TrustBundle parameter to the runtime's CA bundle, or leave it empty for the system's"
)]
pub struct UnreadableTrustBundle {
    path: String,
    reason: String,
}

/// The SDK's TLS client only warns when the bundle it was told to read is missing,
/// and panics in its set-up on one that holds no certificate (empty, truncated, not
/// PEM): say so at start instead, naming the file, where the cause is plain. The
/// bundle is parsed with the PEM reader the SDK's TLS stack uses.
pub fn trust_bundle_readable(bundle: Option<&Path>) -> Result<(), UnreadableTrustBundle> {
    use rustls_pki_types::CertificateDer;
    use rustls_pki_types::pem::PemObject;
    let Some(path) = bundle else { return Ok(()) };
    let unreadable = |reason: String| UnreadableTrustBundle {
        path: path.display().to_string(),
        reason,
    };
    let file = std::fs::File::open(path).map_err(|e| unreadable(e.to_string()))?;
    match file.metadata() {
        Ok(meta) if meta.is_file() => {}
        Ok(_) => return Err(unreadable("not a file".to_owned())),
        Err(e) => return Err(unreadable(e.to_string())),
    }
    let certificates = CertificateDer::pem_file_iter(path)
        .map_err(|e| unreadable(format!("not a PEM bundle: {e}")))?;
    let mut count = 0usize;
    for certificate in certificates {
        certificate.map_err(|e| unreadable(format!("not a PEM bundle: {e}")))?;
        count += 1;
    }
    if count == 0 {
        return Err(unreadable("it holds no PEM certificate".to_owned()));
    }
    Ok(())
}

/// Logs as lambda_runtime's default subscriber writes them: to standard output, JSON
/// when Lambda's log format is JSON, at the level of `AWS_LAMBDA_LOG_LEVEL` (else
/// `RUST_LOG`, else INFO), through [`log_filter`]. A level only: per-module
/// directives would need a regex engine in every binary.
fn init_logs() {
    use tracing::level_filters::LevelFilter;
    use tracing_subscriber::layer::SubscriberExt;
    use tracing_subscriber::util::SubscriberInitExt;
    let level = std::env::var("AWS_LAMBDA_LOG_LEVEL")
        .or_else(|_| std::env::var("RUST_LOG"))
        .ok()
        .map(|level| {
            if level.eq_ignore_ascii_case("FATAL") {
                "ERROR".to_owned()
            } else {
                level
            }
        })
        .and_then(|level| level.parse::<LevelFilter>().ok())
        .unwrap_or(LevelFilter::INFO);
    let json = std::env::var("AWS_LAMBDA_LOG_FORMAT").is_ok_and(|f| f.eq_ignore_ascii_case("json"));
    let logs = tracing_subscriber::fmt::layer()
        .with_target(false)
        .without_time();
    let registry = tracing_subscriber::registry().with(log_filter(level));
    // Only the first subscriber set in a process counts (a test may have set one).
    let _ = if json {
        registry.with(logs.json()).try_init()
    } else {
        registry.with(logs).try_init()
    };
}

/// The crates whose events are Sluice's own: they log at the level asked for.
const OWN_CRATES: &[&str] = &[
    "sluice_core",
    "sluice_aws",
    "sluice_lambda",
    "metric_publisher",
    "zero_watcher",
    "prescaler",
    "sluicectl",
];

/// What a function logs at `level`: Sluice's own events at that level, every other
/// crate's (the SDK, its HTTP and TLS stack) at DEBUG at most. At TRACE the SDK
/// writes request and response bodies (a DynamoDB item read back, STS's AssumeRole
/// with the external id, the credentials it returns): no level may log a secret.
pub fn log_filter(
    level: tracing::level_filters::LevelFilter,
) -> tracing_subscriber::filter::Targets {
    use tracing::level_filters::LevelFilter;
    let others = level.min(LevelFilter::DEBUG);
    OWN_CRATES.iter().fold(
        tracing_subscriber::filter::Targets::new().with_default(others),
        |filter, own| filter.with_target(*own, level),
    )
}

/// Runs `handler` for every invocation until the runtime stops, giving it the event
/// and the instant by which the invocation must have answered (Lambda's deadline).
pub async fn serve<F, Fut, R, E>(handler: F) -> Result<(), Error>
where
    F: Fn(Value, Option<Instant>) -> Fut,
    Fut: Future<Output = Result<R, E>>,
    R: Serialize,
    E: Failure,
{
    let handler = &handler;
    run(service_fn(move |event: LambdaEvent<Value>| async move {
        let deadline = instant_of(event.context.deadline());
        let output = handler(event.payload, deadline)
            .await
            .map_err(|e| e.diagnostic())?;
        serde_json::to_value(output).map_err(|e| Diagnostic::from(Error::from(e)))
    }))
    .await
}

/// A wall-clock deadline as an instant of the monotonic clock (None when past).
fn instant_of(deadline: SystemTime) -> Option<Instant> {
    let left = deadline.duration_since(SystemTime::now()).ok()?;
    Instant::now().checked_add(left)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_sluices_own_events_reach_trace() {
        use tracing::Level;
        use tracing::level_filters::LevelFilter;
        let trace = log_filter(LevelFilter::TRACE);
        assert!(trace.would_enable("zero_watcher::watch", &Level::TRACE));
        assert!(trace.would_enable("sluice_aws::store", &Level::TRACE));
        for sdk in [
            "aws_smithy_runtime::client",
            "aws_sigv4",
            "hyper",
            "aws_config",
        ] {
            assert!(!trace.would_enable(sdk, &Level::TRACE), "{sdk}");
            assert!(trace.would_enable(sdk, &Level::DEBUG), "{sdk}");
        }
        let info = log_filter(LevelFilter::INFO);
        assert!(!info.would_enable("zero_watcher", &Level::DEBUG));
        assert!(!info.would_enable("aws_smithy_runtime", &Level::DEBUG));
        assert!(info.would_enable("aws_smithy_runtime", &Level::INFO));
    }

    #[test]
    fn no_bundle_named_leaves_the_system_trust() {
        assert!(trust_bundle_readable(None).is_ok());
    }

    /// A bundle with `text` in a file of its own, checked.
    fn check(name: &str, text: &str) -> Result<(), UnreadableTrustBundle> {
        let bundle =
            std::env::temp_dir().join(format!("sluice-bundle-{name}-{}.pem", std::process::id()));
        std::fs::write(&bundle, text).unwrap();
        let checked = trust_bundle_readable(Some(&bundle));
        std::fs::remove_file(&bundle).unwrap();
        checked
    }

    /// One certificate as PEM (a self-signed test root; its bytes are not checked).
    const ONE: &str =
        "-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIUVGVzdA==\n-----END CERTIFICATE-----\n";

    #[test]
    fn a_bundle_with_a_certificate_passes() {
        let checked = check("one", ONE);
        assert!(checked.is_ok(), "{checked:?}");
    }

    #[test]
    fn an_empty_truncated_or_foreign_bundle_stops_the_start_naming_the_path() {
        for (name, text, why) in [
            ("empty", "", "holds no PEM certificate"),
            (
                "text",
                "not a certificate at all\n",
                "holds no PEM certificate",
            ),
            (
                "truncated",
                "-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIU\n",
                "not a PEM bundle",
            ),
        ] {
            let error = check(name, text).unwrap_err().to_string();
            assert!(error.contains(&format!("sluice-bundle-{name}")), "{error}");
            assert!(error.contains(why), "{name}: {error}");
            assert!(error.contains("TrustBundle"), "{error}");
        }
    }

    #[test]
    fn a_missing_bundle_or_a_directory_stops_the_start_naming_the_path() {
        let missing = Path::new("/etc/pki/tls/certs/no-such-bundle.crt");
        let error = trust_bundle_readable(Some(missing))
            .unwrap_err()
            .to_string();
        assert!(
            error.starts_with(
                "SSL_CERT_FILE names /etc/pki/tls/certs/no-such-bundle.crt, which cannot be read"
            ),
            "{error}"
        );
        assert!(error.contains("TrustBundle"), "{error}");
        let directory = std::env::temp_dir();
        let error = trust_bundle_readable(Some(&directory))
            .unwrap_err()
            .to_string();
        assert!(error.contains("which cannot be read"), "{error}");
    }
}
