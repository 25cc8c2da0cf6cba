//! Targets in other accounts and regions (sluice_core::place): one set of clients per
//! place, built the first time a target there is met and kept for the container's
//! life, with its own bound on requests in flight (so one team's throttled account
//! waits alone) and its own credentials, from STS AssumeRole when the place names a
//! role.
//!
//! Assumed credentials are kept until five minutes before they expire, then the role
//! is assumed again; every look at a place checks this first, so a role that can no
//! longer be assumed fails that place's targets with an error naming the role, and
//! nothing else. A failure is not kept: the next look tries again.
//! (STS AssumeRole: https://docs.aws.amazon.com/STS/latest/APIReference/API_AssumeRole.html;
//! credentials last an hour by default.)

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use async_trait::async_trait;
use aws_config::Region;
use aws_config::sts::AssumeRoleProvider;
use aws_credential_types::Credentials;
use aws_credential_types::provider::error::CredentialsError;
use aws_credential_types::provider::{ProvideCredentials, SharedCredentialsProvider, future};
use aws_sdk_sts::operation::assume_role::AssumeRoleError;
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_runtime_api::http::Response;
use sluice_core::place::{Home, Place};
use tokio::sync::Mutex;

use crate::{
    AlarmStore, AwsError, Clients, ErrorKind, MetricReader, MetricSink, QueueDepths,
    ScalableTargets, ScalingPolicies, ServiceCounts, ServiceScaler, TaskProtections,
    limit_in_flight,
};

/// What Sluice touches in the account and region a target lives in. Metrics Sluice
/// publishes for the fleet stay in the stack's account; `sink` takes only the
/// metrics this account's own scaling policies watch.
#[derive(Clone)]
pub struct Account {
    pub queues: Arc<dyn QueueDepths>,
    pub services: Arc<dyn ServiceCounts>,
    pub protections: Arc<dyn TaskProtections>,
    pub scaler: Arc<dyn ServiceScaler>,
    pub autoscaling: Arc<dyn ScalableTargets>,
    pub metrics: Arc<dyn MetricReader>,
    pub sink: Arc<dyn MetricSink>,
    pub policies: Arc<dyn ScalingPolicies>,
    pub alarms: Arc<dyn AlarmStore>,
}

impl Account {
    /// Every capability from one implementation (an in-memory account in tests).
    pub fn of<T>(one: Arc<T>) -> Self
    where
        T: QueueDepths
            + ServiceCounts
            + TaskProtections
            + ServiceScaler
            + ScalableTargets
            + MetricReader
            + MetricSink
            + ScalingPolicies
            + AlarmStore
            + 'static,
    {
        Account {
            queues: one.clone(),
            services: one.clone(),
            protections: one.clone(),
            scaler: one.clone(),
            autoscaling: one.clone(),
            metrics: one.clone(),
            sink: one.clone(),
            policies: one.clone(),
            alarms: one,
        }
    }

    /// Nothing yet: every capability answers that this function does not use it.
    /// Each function fills in what it uses (`Account { queues: ..., ..Account::unused() }`),
    /// so its binary links only those calls.
    pub fn unused() -> Self {
        Account::failing(AwsError::new(
            "(unused)",
            ErrorKind::Other,
            "this function does not use that capability in other accounts",
        ))
    }

    /// Every capability answers `error`: an account that could not be reached.
    pub fn failing(error: AwsError) -> Self {
        Account::of(Arc::new(Refusing(error)))
    }
}

/// Capabilities that answer one error: left out of an [`Account`], or unreachable.
struct Refusing(AwsError);

impl Refusing {
    fn refuse<T>(&self) -> Result<T, AwsError> {
        Err(self.0.clone())
    }
}

#[async_trait]
impl QueueDepths for Refusing {
    async fn queue_depth(&self, _: &str) -> Result<sluice_core::facts::QueueDepth, AwsError> {
        self.refuse()
    }
}

#[async_trait]
impl ServiceCounts for Refusing {
    async fn task_counts(
        &self,
        _: &str,
        _: &[String],
    ) -> Result<std::collections::BTreeMap<String, crate::ServiceResult>, AwsError> {
        self.refuse()
    }
}

#[async_trait]
impl TaskProtections for Refusing {
    async fn protected_tasks(&self, _: &str, _: &str) -> Result<u32, AwsError> {
        self.refuse()
    }
}

#[async_trait]
impl ServiceScaler for Refusing {
    async fn set_desired(&self, _: &str, _: &str, _: u32) -> Result<(), AwsError> {
        self.refuse()
    }
}

#[async_trait]
impl ScalableTargets for Refusing {
    async fn bounds(
        &self,
        _: &[String],
    ) -> Result<std::collections::BTreeMap<String, sluice_core::facts::ScalableBounds>, AwsError>
    {
        self.refuse()
    }
    async fn set_bounds(&self, _: &str, _: u32, _: u32) -> Result<(), AwsError> {
        self.refuse()
    }
}

#[async_trait]
impl MetricReader for Refusing {
    async fn points(
        &self,
        _: &[sluice_core::facts::MetricQuery],
        _: u32,
    ) -> Result<Vec<Result<Vec<(i64, f64)>, AwsError>>, AwsError> {
        self.refuse()
    }
}

#[async_trait]
impl MetricSink for Refusing {
    async fn put_metric_data(
        &self,
        _: &str,
        _: &[sluice_core::metrics::Datum],
    ) -> Result<(), AwsError> {
        self.refuse()
    }
}

#[async_trait]
impl ScalingPolicies for Refusing {
    async fn policies(&self, _: &str) -> Result<Vec<sluice_core::policy::LivePolicy>, AwsError> {
        self.refuse()
    }
    async fn put_policy(
        &self,
        _: &str,
        _: &sluice_core::policy::PolicySpec,
    ) -> Result<String, AwsError> {
        self.refuse()
    }
    async fn delete_policy(&self, _: &str, _: &str) -> Result<(), AwsError> {
        self.refuse()
    }
}

#[async_trait]
impl AlarmStore for Refusing {
    async fn alarms(&self, _: &str) -> Result<Vec<sluice_core::policy::LiveAlarm>, AwsError> {
        self.refuse()
    }
    async fn put_alarm(&self, _: &sluice_core::policy::AlarmSpec, _: &str) -> Result<(), AwsError> {
        self.refuse()
    }
    async fn delete_alarm(&self, _: &str) -> Result<(), AwsError> {
        self.refuse()
    }
}

/// Reaches the accounts and regions targets name other than the stack's own.
#[async_trait]
pub trait Accounts: Send + Sync {
    /// The account `place` names; Err naming the role when it cannot be assumed.
    async fn at(&self, place: &Place) -> Result<Arc<Account>, AwsError>;
}

/// The account of `place`: None for the stack's own, which the ports already reach.
pub async fn reach(
    accounts: &dyn Accounts,
    place: &Place,
) -> Result<Option<Arc<Account>>, AwsError> {
    if place.is_home() {
        return Ok(None);
    }
    accounts.at(place).await.map(Some)
}

/// Production [`Accounts`]: clients per place over the SDK, each place with its own
/// bound of requests in flight.
/// Who assumes a member role. Each says so in its session (name `sluice-<who>`, tag
/// `sluice-function=<who>`), and the member role grants each only its own calls by
/// that tag, which its trust policy binds to the caller's own role
/// (`infra/examples/member-account-role.yaml`): the publisher cannot scale, the
/// watcher cannot move bounds, no function can put policies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Assumer {
    Publisher,
    Watcher,
    Prescaler,
    /// `sluicectl`, run by an operator.
    Operator,
}

impl Assumer {
    /// The session tag's key.
    pub const TAG: &'static str = "sluice-function";

    pub fn name(self) -> &'static str {
        match self {
            Assumer::Publisher => "publisher",
            Assumer::Watcher => "watcher",
            Assumer::Prescaler => "prescaler",
            Assumer::Operator => "operator",
        }
    }
}

pub struct AssumedAccounts {
    /// The functions' own configuration, before any bound on requests in flight.
    base: aws_config::SdkConfig,
    concurrency: usize,
    assumer: Assumer,
    /// The adapters the function uses in another account, over that account's clients.
    adapters: fn(&Clients) -> Account,
    places: Mutex<HashMap<Place, Arc<Reached>>>,
}

struct Reached {
    role: Option<Arc<RoleCredentials>>,
    account: Arc<Account>,
}

impl AssumedAccounts {
    /// `base` is the configuration from [`crate::load_sdk_config`]; every place gets
    /// `concurrency` requests in flight of its own, and `adapters` over its clients;
    /// roles are assumed as `assumer`.
    pub fn new(
        base: aws_config::SdkConfig,
        concurrency: usize,
        assumer: Assumer,
        adapters: fn(&Clients) -> Account,
    ) -> Self {
        Self {
            base,
            concurrency,
            assumer,
            adapters,
            places: Mutex::new(HashMap::new()),
        }
    }

    async fn reach(&self, place: &Place) -> Arc<Reached> {
        let mut places = self.places.lock().await;
        if let Some(reached) = places.get(place) {
            return reached.clone();
        }
        let mut config = self.base.to_builder();
        if let Some(region) = &place.region {
            config.set_region(Some(Region::new(region.clone())));
        }
        let regional = config.build();
        let mut config = regional.to_builder();
        let mut role = None;
        if let Some(arn) = &place.role_arn {
            let mut builder = AssumeRoleProvider::builder(arn.clone())
                .session_name(format!("sluice-{}", self.assumer.name()))
                .tags([(Assumer::TAG, self.assumer.name())])
                .configure(&regional);
            if let Some(id) = &place.external_id {
                builder = builder.external_id(id.clone());
            }
            let held = Arc::new(RoleCredentials {
                role: arn.clone(),
                provider: builder.build().await,
                held: Mutex::new(None),
            });
            config.set_credentials_provider(Some(SharedCredentialsProvider::new(HeldCredentials(
                held.clone(),
            ))));
            role = Some(held);
        }
        let config = limit_in_flight(&config.build(), self.concurrency);
        let reached = Arc::new(Reached {
            role,
            account: Arc::new((self.adapters)(&Clients::new(&config))),
        });
        places.insert(place.clone(), reached.clone());
        reached
    }
}

#[async_trait]
impl Accounts for AssumedAccounts {
    async fn at(&self, place: &Place) -> Result<Arc<Account>, AwsError> {
        let reached = self.reach(place).await;
        if let Some(role) = &reached.role {
            role.fresh().await?;
        }
        Ok(reached.account.clone())
    }
}

/// The account and region `config` reaches: its region, and the account STS
/// GetCallerIdentity says the credentials are of.
pub async fn home(config: &aws_config::SdkConfig) -> Result<Home, AwsError> {
    let identity = aws_sdk_sts::Client::new(config)
        .get_caller_identity()
        .send()
        .await
        .map_err(|e| AwsError::from_sdk("STS.GetCallerIdentity", e))?;
    Ok(Home {
        account: identity.account().map(str::to_owned),
        region: config.region().map(|r| r.as_ref().to_owned()),
    })
}

/// How long before their expiry assumed credentials are replaced: longer than an
/// invocation, so no call of one runs on credentials that lapse midway.
const REFRESH_BEFORE: Duration = Duration::from_secs(300);

#[derive(Debug)]
struct RoleCredentials {
    role: String,
    provider: AssumeRoleProvider,
    held: Mutex<Option<Credentials>>,
}

impl RoleCredentials {
    /// Credentials good for at least [`REFRESH_BEFORE`], assuming the role again when
    /// the held ones are older; one AssumeRole at a time per role.
    async fn fresh(&self) -> Result<Credentials, AwsError> {
        let mut held = self.held.lock().await;
        let good_until = SystemTime::now() + REFRESH_BEFORE;
        if let Some(credentials) = held.as_ref()
            && credentials
                .expiry()
                .is_none_or(|expiry| expiry > good_until)
        {
            return Ok(credentials.clone());
        }
        let credentials = self
            .provider
            .provide_credentials()
            .await
            .map_err(|error| assume_error(&self.role, &error))?;
        *held = Some(credentials.clone());
        Ok(credentials)
    }
}

/// The credentials provider the place's clients use: the held credentials.
#[derive(Debug)]
struct HeldCredentials(Arc<RoleCredentials>);

impl ProvideCredentials for HeldCredentials {
    fn provide_credentials<'a>(&'a self) -> future::ProvideCredentials<'a>
    where
        Self: 'a,
    {
        future::ProvideCredentials::new(async move {
            self.0
                .fresh()
                .await
                .map_err(CredentialsError::provider_error)
        })
    }
}

/// Why the role could not be assumed, classified by STS's error code (the SDK error
/// inside the provider's), and naming the role.
fn assume_error(role: &str, error: &CredentialsError) -> AwsError {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(error);
    while let Some(current) = source {
        if let Some(sdk) = current.downcast_ref::<SdkError<AssumeRoleError, Response>>() {
            return AwsError::from_sdk_ref("STS.AssumeRole", sdk)
                .about(format!("cannot assume role {role}"));
        }
        source = current.source();
    }
    let kind = match error {
        CredentialsError::ProviderTimedOut(_) => ErrorKind::Unavailable,
        CredentialsError::InvalidConfiguration(_) => ErrorKind::InvalidRequest,
        _ => ErrorKind::Other,
    };
    AwsError::new(
        "STS.AssumeRole",
        kind,
        format!(
            "cannot assume role {role}: {}",
            aws_smithy_types::error::display::DisplayErrorContext(error)
        ),
    )
}
