//! moto's request recorder: the emulator's own log of every request it received, to
//! count calls without trusting the code under test. Starting it is idempotent.

use anyhow::{Context, Result, bail};
use base64::Engine;
use std::io::{Read, Write};

fn request(method: &str, path: &str) -> Result<String> {
    let endpoint = std::env::var("AWS_ENDPOINT_URL").context("AWS_ENDPOINT_URL")?;
    let authority = endpoint.trim_start_matches("http://").trim_end_matches('/');
    let mut stream =
        std::net::TcpStream::connect(authority).with_context(|| format!("connect {authority}"))?;
    write!(
        stream,
        "{method} {path} HTTP/1.0\r\nHost: {authority}\r\nContent-Length: 0\r\n\r\n"
    )?;
    let mut response = String::new();
    stream.read_to_string(&mut response)?;
    let (head, body) = response.split_once("\r\n\r\n").unwrap_or((&response, ""));
    if !head.starts_with("HTTP/1.0 200") && !head.starts_with("HTTP/1.1 200") {
        bail!("moto {path}: {head}");
    }
    Ok(body.to_owned())
}

pub fn start() -> Result<()> {
    request("POST", "/moto-api/recorder/start-recording").map(|_| ())
}

/// Recorded requests whose `X-Amz-Target` ends with `.{operation}` and whose body
/// mentions `needle`.
pub fn count(operation: &str, needle: &str) -> Result<usize> {
    count_any(&[operation], &[needle])
}

/// The writes every function can make: to ECS, the table and Application Auto Scaling.
pub const MUTATIONS: &[&str] = &[
    "UpdateService",
    "PutItem",
    "UpdateItem",
    "DeleteItem",
    "BatchWriteItem",
    "TransactWriteItems",
    "RegisterScalableTarget",
    "DeregisterScalableTarget",
    "PutScalingPolicy",
    "DeleteScalingPolicy",
];

/// Recorded requests of any of `operations` whose body mentions any of `needles`,
/// from one download of the recording.
pub fn count_any(operations: &[&str], needles: &[&str]) -> Result<usize> {
    let log = request("GET", "/moto-api/recorder/download-recording")?;
    // moto appends one line per request while tests run in parallel: a download can end
    // in the middle of a line still being written, a request made after this one began.
    let complete = match log.rfind('\n') {
        Some(end) => &log[..=end],
        None => "",
    };
    let mut count = 0;
    for line in complete.lines().filter(|l| !l.trim().is_empty()) {
        let entry: serde_json::Value = serde_json::from_str(line).context("recorder line")?;
        let target = entry["headers"]["X-Amz-Target"]
            .as_str()
            .unwrap_or_default();
        let operation = target.rsplit('.').next().unwrap_or_default();
        if target.is_empty() || !operations.contains(&operation) {
            continue;
        }
        let body = body(&entry);
        if needles.iter().any(|needle| body.contains(needle)) {
            count += 1;
        }
    }
    Ok(count)
}

fn body(entry: &serde_json::Value) -> String {
    let body = entry["body"].as_str().unwrap_or_default();
    if entry["body_encoded"].as_bool() == Some(true) {
        String::from_utf8_lossy(
            &base64::engine::general_purpose::STANDARD
                .decode(body)
                .unwrap_or_default(),
        )
        .into_owned()
    } else {
        body.to_owned()
    }
}

/// Recorded requests of the query protocol (STS: a form body with `Action=...`) for
/// `action` whose body holds every one of `needles`, each a whole `key=value` field
/// form-encoded as sent.
pub fn count_form(action: &str, needles: &[&str]) -> Result<usize> {
    let log = request("GET", "/moto-api/recorder/download-recording")?;
    let complete = match log.rfind('\n') {
        Some(end) => &log[..=end],
        None => "",
    };
    let wanted = format!("Action={action}");
    let mut count = 0;
    for line in complete.lines().filter(|l| !l.trim().is_empty()) {
        let entry: serde_json::Value = serde_json::from_str(line).context("recorder line")?;
        let body = body(&entry);
        let fields: Vec<&str> = body.split('&').collect();
        if fields.contains(&wanted.as_str()) && needles.iter().all(|n| fields.contains(n)) {
            count += 1;
        }
    }
    Ok(count)
}
