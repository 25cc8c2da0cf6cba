//! One target's work, run so that a panic in it ends that target's work alone. A
//! handler never panics on data from outside by design (errors are values, clippy
//! denies `unwrap`), but a bug met on one odd stored record must not stop every other
//! target of the invocation, and of every invocation after it: the panic's message
//! comes back as an error, the target is reported failed, and the others go on.
//! Release builds unwind for this (`panic = "unwind"` in Cargo.toml).

use std::any::Any;
use std::future::Future;
use std::panic::AssertUnwindSafe;

use futures::FutureExt;

/// `work`, or the message of the panic that ended it.
pub async fn isolated<F: Future>(work: F) -> Result<F::Output, String> {
    AssertUnwindSafe(work)
        .catch_unwind()
        .await
        .map_err(|payload| message(payload.as_ref()))
}

/// As [`isolated`], for a decision that does no I/O.
pub fn isolated_now<T>(work: impl FnOnce() -> T) -> Result<T, String> {
    std::panic::catch_unwind(AssertUnwindSafe(work)).map_err(|payload| message(payload.as_ref()))
}

fn message(payload: &(dyn Any + Send)) -> String {
    let text = payload
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a panic without a message".to_owned());
    let said = format!("panicked (a bug; the other targets go on): {text}");
    tracing::error!(%said, "target's work ended");
    said
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_panic_is_an_error_and_work_is_its_value() {
        assert_eq!(isolated_now(|| 7), Ok(7));
        let error = isolated_now(|| -> u32 { panic!("odd record") }).unwrap_err();
        assert!(error.ends_with("odd record"), "{error}");
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        let error = runtime
            .block_on(isolated(async { panic!("{}", String::from("in flight")) }))
            .unwrap_err();
        assert!(error.ends_with("in flight"), "{error}");
    }
}
