//! Connecting to providers and reading what they hold (the "refresh").
//!
//! Used by plan, apply, drift and import. Credentials are resolved here, at
//! the last moment, and handed to the drivers as `SecretString`s.

use std::sync::Arc;
use std::time::{Duration, Instant};

use futures::future::join_all;
use indexmap::IndexMap;
use secrecy::SecretString;

use crate::desired::{Credential, Desired, Provider, SecretRef};
use crate::drivers::retry::RetryPolicy;
use crate::drivers::{self, Driver, DriverError, ProviderConfig};
use crate::model::RemoteRecord;
use crate::plan::Remote;
use crate::progress::Progress;

/// How hard headcount works a provider: the command line's `--parallelism`
/// (capped by the provider's own `parallelism:`), `--retries` and
/// `--retry-wait`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    pub parallelism: u32,
    pub retries: u32,
    pub retry_wait: Duration,
}

/// A parallelism with the default retries.
impl From<u32> for Limits {
    fn from(parallelism: u32) -> Limits {
        Limits {
            parallelism,
            retries: RetryPolicy::DEFAULT.retries,
            retry_wait: RetryPolicy::DEFAULT.base_delay,
        }
    }
}

/// Resolves a provider's credentials and builds its driver's configuration.
pub fn config(provider: &Provider, limits: impl Into<Limits>) -> miette::Result<ProviderConfig> {
    let limits = limits.into();
    let mut config = ProviderConfig::new(provider.name.clone(), provider.url.clone());
    for (field, credential) in &provider.auth {
        let value = match credential {
            Credential::Plain(v) => SecretString::from(v.clone()),
            Credential::Secret(secret) => resolve(
                secret,
                &format!("auth.{field} of provider {}", provider.name),
            )?,
        };
        config.credentials.insert(field.clone(), value);
    }
    let limit = provider
        .parallelism
        .map_or(limits.parallelism, |p| p.min(limits.parallelism))
        .max(1);
    config.parallelism = limit as usize;
    config.retry.retries = limits.retries;
    config.retry.base_delay = limits.retry_wait;
    if let Some(timeout) = provider.timeout {
        config.timeout = timeout;
    }
    config.insecure_http = provider.insecure_http;
    config.ca_file = provider.ca_file.clone();
    config.rate_limit = provider.rate_limit.map(|r| drivers::RateBudget {
        per_second: r.per_second,
        burst: r.burst,
    });
    Ok(config)
}

/// Resolves a provider's credentials and connects its driver.
pub fn connect(provider: &Provider, limits: impl Into<Limits>) -> miette::Result<Arc<dyn Driver>> {
    let entry = drivers::vendor(provider.vendor())
        .ok_or_else(|| miette::miette!("no driver for provider type {}", provider.vendor()))?;
    (entry.connect)(config(provider, limits)?).map_err(driver_report)
}

/// Resolves a secret reference into a diagnostic-friendly error.
pub fn resolve(secret: &SecretRef, purpose: &str) -> miette::Result<SecretString> {
    secret.resolve(purpose).map_err(miette::Report::new)
}

/// A driver error as a diagnostic with a hint.
pub fn driver_report(error: DriverError) -> miette::Report {
    let hint = error.hint();
    miette::miette!(code = "headcount::vendor", help = hint, "{error}")
}

/// Connected drivers by provider name.
pub type Drivers = IndexMap<String, Arc<dyn Driver>>;

/// Connects every provider of `desired` accepted by `include`.
pub fn connect_all(
    desired: &Desired,
    limits: impl Into<Limits>,
    include: impl Fn(&str) -> bool,
) -> miette::Result<Drivers> {
    connect_providers(&desired.providers, limits, include)
}

/// [`connect_all`] for the providers alone (the accounts may still be
/// being checked).
pub fn connect_providers(
    providers: &IndexMap<String, Provider>,
    limits: impl Into<Limits>,
    include: impl Fn(&str) -> bool,
) -> miette::Result<Drivers> {
    let limits = limits.into();
    let mut drivers = IndexMap::new();
    let mut errors = Vec::new();
    for (name, provider) in providers {
        if !include(name) {
            continue;
        }
        match connect(provider, limits) {
            Ok(driver) => {
                drivers.insert(name.clone(), driver);
            }
            Err(e) => errors.push(e),
        }
    }
    combine(errors)?;
    Ok(drivers)
}

/// Reads every account of every provider, providers concurrently, with a
/// spinner per provider on a terminal. Fails with every provider's error.
pub async fn read_all(drivers: &Drivers, progress: &Progress) -> miette::Result<Remote> {
    // Each provider is read in its own task, so that decoding the pages of
    // several providers uses every core.
    let reads = drivers.iter().map(|(name, driver)| {
        let bar = progress.spinner(&format!("{name}: reading {}s", driver.schema().kind.noun()));
        let (name, driver) = (name.clone(), Arc::clone(driver));
        AbortOnDrop(tokio::spawn(async move {
            let started = Instant::now();
            let result = drivers::http::read_scope(driver.list()).await;
            match &result {
                Ok(records) => bar.finish(&format!(
                    "{name}: read {} {}s in {:.1}s",
                    records.len(),
                    driver.schema().kind.noun(),
                    started.elapsed().as_secs_f64()
                )),
                Err(_) => bar.finish(&format!("{name}: failed")),
            }
            (name, result)
        }))
    });
    let reads: Vec<_> = reads.collect();
    let mut remote = Remote::default();
    let mut errors = Vec::new();
    for joined in join_all(reads).await {
        let (name, result) = match joined {
            Ok(done) => done,
            Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
            Err(e) => return Err(miette::miette!("reading the providers was stopped: {e}")),
        };
        match result {
            Ok(records) => {
                remote.providers.insert(name, records);
            }
            Err(e) => errors.push(driver_report(e)),
        }
    }
    combine(errors)?;
    Ok(remote)
}

/// A task that stops when its handle is dropped: a read given up (the file
/// turned out invalid, Ctrl-C) sends no further request.
struct AbortOnDrop<T>(tokio::task::JoinHandle<T>);

impl<T> std::future::Future for AbortOnDrop<T> {
    type Output = Result<T, tokio::task::JoinError>;

    fn poll(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Self::Output> {
        std::pin::Pin::new(&mut self.0).poll(cx)
    }
}

impl<T> Drop for AbortOnDrop<T> {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Reads one provider's accounts (for import).
pub async fn read_one(driver: &Arc<dyn Driver>) -> miette::Result<Vec<RemoteRecord>> {
    drivers::http::read_scope(driver.list())
        .await
        .map_err(driver_report)
}

/// One error stays as it is; several become one report with each as a
/// related diagnostic (each keeps its own help line).
pub fn combine(mut errors: Vec<miette::Report>) -> miette::Result<()> {
    match errors.len() {
        0 => Ok(()),
        1 => Err(errors.remove(0)),
        n => Err(miette::Report::new(Several {
            message: format!("{n} providers failed"),
            related: errors.into_iter().map(Related).collect(),
        })),
    }
}

/// Several failures reported together.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
#[error("{message}")]
#[diagnostic(code(headcount::providers))]
struct Several {
    message: String,
    #[related]
    related: Vec<Related>,
}

/// A report shown as a related diagnostic.
#[derive(Debug)]
struct Related(miette::Report);

impl std::fmt::Display for Related {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Display::fmt(&*self.0, f)
    }
}

impl std::error::Error for Related {}

impl miette::Diagnostic for Related {
    fn code<'a>(&'a self) -> Option<Box<dyn std::fmt::Display + 'a>> {
        self.0.code()
    }
    fn help<'a>(&'a self) -> Option<Box<dyn std::fmt::Display + 'a>> {
        self.0.help()
    }
    fn source_code(&self) -> Option<&dyn miette::SourceCode> {
        self.0.source_code()
    }
    fn labels(&self) -> Option<Box<dyn Iterator<Item = miette::LabeledSpan> + '_>> {
        self.0.labels()
    }
}
