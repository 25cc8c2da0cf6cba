//! Faults injected at the HTTP layer, beneath the real SDK and in front of the
//! emulators: the SDK's retries, timeouts and error parsing all run as in
//! production, and what the fault lets through reaches moto or LocalStack.
//!
//! A [`FaultPlan`] holds rules, each for one AWS operation (optionally only for
//! requests whose body mentions a resource), a fault, and how many requests it hits.
//! Every request the SDK sends is counted by operation, retries included.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use aws_smithy_runtime_api::client::http::{
    HttpClient, HttpConnector, HttpConnectorFuture, HttpConnectorSettings, SharedHttpClient,
    SharedHttpConnector,
};
use aws_smithy_runtime_api::client::orchestrator::HttpRequest;
use aws_smithy_runtime_api::client::result::ConnectorError;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_runtime_api::http::{Response, StatusCode};
use aws_smithy_types::body::SdkBody;

/// What happens to a request a rule matches.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fault {
    /// HTTP 400 `ThrottlingException`, as an overloaded service answers.
    Throttle,
    /// HTTP 500 `InternalFailure`.
    ServerError,
    /// HTTP 503 `ServiceUnavailable`.
    Unavailable,
    /// HTTP 400 `AccessDeniedException`: the role may not make the call.
    AccessDenied,
    /// The request times out before any answer.
    Timeout,
    /// The connection is reset before the request is sent.
    ConnectionReset,
    /// The request reaches the emulator and takes effect, then the answer is lost.
    ResponseLost,
    /// The request reaches the emulator; its JSON answer is replaced by this text.
    Answer(String),
}

impl Fault {
    pub fn label(&self) -> &'static str {
        match self {
            Fault::Throttle => "throttled",
            Fault::ServerError => "HTTP 500",
            Fault::Unavailable => "HTTP 503",
            Fault::AccessDenied => "access denied",
            Fault::Timeout => "timeout",
            Fault::ConnectionReset => "connection reset",
            Fault::ResponseLost => "response lost",
            Fault::Answer(_) => "odd answer",
        }
    }
}

#[derive(Debug, Clone)]
struct Rule {
    operation: String,
    resource: Option<String>,
    fault: Fault,
    /// How many more requests it hits; None: all.
    remaining: Option<usize>,
}

#[derive(Debug, Default)]
struct State {
    rules: Vec<Rule>,
    /// Requests sent, by `Service.Operation`, retries included.
    sent: BTreeMap<String, usize>,
    /// Requests a fault hit, by operation.
    faulted: BTreeMap<String, usize>,
    /// Requests signed with temporary credentials (an assumed role's), by operation.
    assumed: BTreeMap<String, usize>,
}

/// The faults to inject, shared with the HTTP client that injects them.
#[derive(Debug, Clone, Default)]
pub struct FaultPlan {
    state: Arc<Mutex<State>>,
}

impl FaultPlan {
    pub fn new() -> Self {
        Self::default()
    }

    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Every request of `operation` (e.g. `ECS.UpdateService`) meets `fault`.
    pub fn always(&self, operation: &str, fault: Fault) -> &Self {
        self.add(operation, None, fault, None)
    }

    /// The next `times` requests of `operation` meet `fault`. The SDK retries a
    /// retryable fault up to three attempts: `times: 3` defeats one call.
    pub fn next(&self, operation: &str, fault: Fault, times: usize) -> &Self {
        self.add(operation, None, fault, Some(times))
    }

    /// As [`always`](Self::always), only for requests whose body mentions `resource`.
    pub fn always_for(&self, operation: &str, resource: &str, fault: Fault) -> &Self {
        self.add(operation, Some(resource), fault, None)
    }

    fn add(
        &self,
        operation: &str,
        resource: Option<&str>,
        fault: Fault,
        remaining: Option<usize>,
    ) -> &Self {
        self.state().rules.push(Rule {
            operation: operation.to_owned(),
            resource: resource.map(str::to_owned),
            fault,
            remaining,
        });
        self
    }

    /// Removes every rule; counts are kept.
    pub fn heal(&self) {
        self.state().rules.clear();
    }

    /// Requests sent for `operation`, retries included.
    pub fn sent(&self, operation: &str) -> usize {
        self.state().sent.get(operation).copied().unwrap_or(0)
    }

    /// Requests a fault hit for `operation`.
    pub fn faulted(&self, operation: &str) -> usize {
        self.state().faulted.get(operation).copied().unwrap_or(0)
    }

    /// Requests sent for `operation` signed with temporary credentials (key id
    /// `ASIA...`, as STS AssumeRole issues): those made through another account's role.
    pub fn sent_as_assumed_role(&self, operation: &str) -> usize {
        self.state().assumed.get(operation).copied().unwrap_or(0)
    }

    /// Counts the request and returns the fault it meets, if any.
    fn fault_for(&self, operation: &str, body: &str, assumed: bool) -> Option<Fault> {
        let mut state = self.state();
        *state.sent.entry(operation.to_owned()).or_default() += 1;
        if assumed {
            *state.assumed.entry(operation.to_owned()).or_default() += 1;
        }
        let rule = state.rules.iter_mut().find(|rule| {
            rule.operation == operation
                && rule.remaining != Some(0)
                && rule.resource.as_deref().is_none_or(|r| body.contains(r))
        })?;
        if let Some(remaining) = rule.remaining.as_mut() {
            *remaining -= 1;
        }
        let fault = rule.fault.clone();
        *state.faulted.entry(operation.to_owned()).or_default() += 1;
        Some(fault)
    }

    /// An HTTP client that injects this plan's faults in front of `inner`.
    pub fn client(&self, inner: SharedHttpClient) -> SharedHttpClient {
        SharedHttpClient::new(FaultyClient {
            inner,
            plan: self.clone(),
        })
    }
}

#[derive(Debug)]
struct FaultyClient {
    inner: SharedHttpClient,
    plan: FaultPlan,
}

impl HttpClient for FaultyClient {
    fn http_connector(
        &self,
        settings: &HttpConnectorSettings,
        components: &RuntimeComponents,
    ) -> SharedHttpConnector {
        SharedHttpConnector::new(FaultyConnector {
            inner: self.inner.http_connector(settings, components),
            plan: self.plan.clone(),
        })
    }
}

#[derive(Debug)]
struct FaultyConnector {
    inner: SharedHttpConnector,
    plan: FaultPlan,
}

impl HttpConnector for FaultyConnector {
    fn call(&self, request: HttpRequest) -> HttpConnectorFuture {
        let body = request
            .body()
            .bytes()
            .map(|b| String::from_utf8_lossy(b).into_owned())
            .unwrap_or_default();
        let operation = operation_of(&request, &body);
        let protocol = Protocol::of(&operation, &body);
        let assumed = request
            .headers()
            .get("authorization")
            .is_some_and(|auth| auth.contains("Credential=ASIA"));
        let Some(fault) = self.plan.fault_for(&operation, &body, assumed) else {
            return self.inner.call(request);
        };
        let error = |code: &str, status: u16| {
            let code = protocol.code(code);
            HttpConnectorFuture::ready(error_response(code, status, protocol))
        };
        match fault {
            Fault::Throttle => error("ThrottlingException", 400),
            Fault::ServerError => error("InternalFailure", 500),
            Fault::Unavailable => error("ServiceUnavailable", 503),
            Fault::AccessDenied => error("AccessDeniedException", 400),
            Fault::Timeout => HttpConnectorFuture::ready(Err(ConnectorError::timeout(
                "injected: no answer in time".into(),
            ))),
            Fault::ConnectionReset => HttpConnectorFuture::ready(Err(ConnectorError::io(
                "injected: connection reset by peer".into(),
            ))),
            Fault::ResponseLost => {
                let sent = self.inner.call(request);
                HttpConnectorFuture::new(async move {
                    let _ = sent.await;
                    Err(ConnectorError::io(
                        "injected: connection reset after the request was sent".into(),
                    ))
                })
            }
            Fault::Answer(text) => {
                let sent = self.inner.call(request);
                HttpConnectorFuture::new(async move {
                    let answer = sent.await?;
                    let mut replaced = Response::new(answer.status(), SdkBody::from(text));
                    for (name, value) in answer.headers() {
                        if !name.eq_ignore_ascii_case("content-length") {
                            replaced
                                .headers_mut()
                                .insert(name.to_owned(), value.to_owned());
                        }
                    }
                    Ok(replaced)
                })
            }
        }
    }
}

/// `Service.Operation` of a request: from `X-Amz-Target` (the JSON protocols of SQS,
/// ECS, DynamoDB and Application Auto Scaling) or the path (CloudWatch's CBOR).
fn operation_of(request: &HttpRequest, body: &str) -> String {
    if let Some(target) = request.headers().get("x-amz-target")
        && let Some((service, operation)) = target.split_once('.')
    {
        let service = match service {
            "AmazonSQS" => "SQS",
            s if s.starts_with("AmazonEC2ContainerService") => "ECS",
            s if s.starts_with("DynamoDB") => "DynamoDB",
            "AnyScaleFrontendService" => "ApplicationAutoScaling",
            other => other,
        };
        return format!("{service}.{operation}");
    }
    // The query protocol (STS, EC2 Auto Scaling): the action is in the form body, the
    // service in the SDK's user agent (`api/sts/1.x`).
    if let Some(action) = body.strip_prefix("Action=") {
        let action = action.split('&').next().unwrap_or_default();
        let service = request
            .headers()
            .get("x-amz-user-agent")
            .and_then(|agent| agent.split(" api/").nth(1))
            .and_then(|api| api.split('/').next())
            .map_or(
                "Query",
                |name| if name == "sts" { "STS" } else { "AutoScaling" },
            );
        return format!("{service}.{action}");
    }
    let uri = request.uri();
    if let Some((_, operation)) = uri.split_once("/operation/") {
        return format!(
            "CloudWatch.{}",
            operation.split('?').next().unwrap_or(operation)
        );
    }
    format!("unknown {uri}")
}

/// How a service writes its answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Protocol {
    Json,
    /// Smithy RPC v2 CBOR: CloudWatch.
    Cbor,
    /// The AWS query protocol, answering in XML: STS, EC2 Auto Scaling.
    Query,
}

impl Protocol {
    fn of(operation: &str, body: &str) -> Self {
        if operation.starts_with("CloudWatch.") {
            Protocol::Cbor
        } else if body.starts_with("Action=") {
            Protocol::Query
        } else {
            Protocol::Json
        }
    }

    /// The error code as this protocol's services name it (STS: `AccessDenied`).
    fn code(self, code: &str) -> &str {
        match (self, code) {
            (Protocol::Query, "AccessDeniedException") => "AccessDenied",
            (Protocol::Query, "ThrottlingException") => "Throttling",
            _ => code,
        }
    }
}

/// An error answer as the service's protocol writes it: JSON for the JSON protocols,
/// CBOR for CloudWatch (Smithy RPC v2), XML for the query protocol.
fn error_response(
    code: &str,
    status: u16,
    protocol: Protocol,
) -> Result<Response<SdkBody>, ConnectorError> {
    let message = format!("injected {code}");
    let (content_type, body) = match protocol {
        Protocol::Cbor => (
            "application/cbor",
            SdkBody::from(cbor_error(code, &message)),
        ),
        Protocol::Json => {
            let json = serde_json::json!({"__type": code, "message": message}).to_string();
            ("application/x-amz-json-1.0", SdkBody::from(json))
        }
        Protocol::Query => {
            let xml = format!(
                "<ErrorResponse><Error><Type>Sender</Type><Code>{code}</Code>\
                 <Message>{message}</Message></Error><RequestId>injected</RequestId></ErrorResponse>"
            );
            ("text/xml", SdkBody::from(xml))
        }
    };
    let status = StatusCode::try_from(status)
        .map_err(|e| ConnectorError::other(format!("bad injected status: {e}").into(), None))?;
    let mut response = Response::new(status, body);
    let headers = response.headers_mut();
    headers.insert("content-type", content_type);
    headers.insert("x-amzn-errortype", code.to_owned());
    if protocol == Protocol::Cbor {
        headers.insert("smithy-protocol", "rpc-v2-cbor");
    }
    Ok(response)
}

/// `{"__type": code, "message": message}` in CBOR (RFC 8949): a two-entry map of
/// text strings.
fn cbor_error(code: &str, message: &str) -> Vec<u8> {
    fn text(out: &mut Vec<u8>, value: &str) {
        let length = value.len();
        if length < 24 {
            out.push(0x60 | length as u8);
        } else if length < 256 {
            out.extend([0x78, length as u8]);
        } else {
            out.push(0x79);
            out.extend((length as u16).to_be_bytes());
        }
        out.extend(value.as_bytes());
    }
    let mut out = vec![0xa2];
    text(&mut out, "__type");
    text(&mut out, code);
    text(&mut out, "message");
    text(&mut out, message);
    out
}
