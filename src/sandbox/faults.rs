//! Fault injection: latency, error statuses, hangs and dropped connections,
//! drawn from a seeded generator so that a run can be repeated.

use std::collections::VecDeque;
use std::fmt;
use std::str::FromStr;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde::{Deserialize, Serialize};

/// One kind of injected fault.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum FaultKind {
    /// HTTP 400 with the vendor's error body: the vendor refuses the
    /// request for a rule of its own (never drawn unless named).
    #[serde(rename = "400")]
    Status400,
    /// HTTP 500 with the vendor's error body.
    #[serde(rename = "500")]
    Status500,
    /// HTTP 503 with the vendor's error body.
    #[serde(rename = "503")]
    Status503,
    /// HTTP 429 with `Retry-After: 1`.
    #[serde(rename = "429")]
    Status429,
    /// No answer until the sandbox stops: the client's timeout must fire.
    #[serde(rename = "hang")]
    Hang,
    /// The connection is closed before the request is processed; nothing changes.
    #[serde(rename = "drop-before")]
    DropBefore,
    /// The request is processed (an account may be created), then the
    /// connection is closed without a response.
    #[serde(rename = "drop-after")]
    DropAfter,
}

impl FaultKind {
    /// The kinds drawn by default, in the order the CLI documents them:
    /// every kind but `400` (never retried, so named on purpose only).
    pub const ALL: [FaultKind; 6] = [
        FaultKind::Status500,
        FaultKind::Status503,
        FaultKind::Status429,
        FaultKind::Hang,
        FaultKind::DropBefore,
        FaultKind::DropAfter,
    ];

    /// The name used on the command line and in the control API.
    pub fn as_str(self) -> &'static str {
        match self {
            FaultKind::Status400 => "400",
            FaultKind::Status500 => "500",
            FaultKind::Status503 => "503",
            FaultKind::Status429 => "429",
            FaultKind::Hang => "hang",
            FaultKind::DropBefore => "drop-before",
            FaultKind::DropAfter => "drop-after",
        }
    }
}

impl fmt::Display for FaultKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for FaultKind {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.trim();
        std::iter::once(FaultKind::Status400)
            .chain(FaultKind::ALL)
            .find(|k| k.as_str().eq_ignore_ascii_case(s))
            .ok_or_else(|| {
                format!("unknown fault kind {s:?}; expected one of 400, 500, 503, 429, hang, drop-before, drop-after")
            })
    }
}

/// Random faults and latency applied to vendor routes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FaultSettings {
    /// Share of vendor requests that get a fault, 0.0 to 1.0.
    pub rate: f64,
    /// Kinds drawn from (uniformly) when a request gets a fault.
    pub kinds: Vec<FaultKind>,
    /// Latency added to every vendor request, in milliseconds.
    pub latency_ms: u64,
}

impl Default for FaultSettings {
    fn default() -> Self {
        Self {
            rate: 0.0,
            kinds: FaultKind::ALL.to_vec(),
            latency_ms: 0,
        }
    }
}

impl FaultSettings {
    /// Checks the rate and the kinds.
    pub fn validate(&self) -> Result<(), String> {
        if !(0.0..=1.0).contains(&self.rate) || self.rate.is_nan() {
            return Err(format!(
                "the fault rate must be between 0.0 and 1.0, not {}",
                self.rate
            ));
        }
        if self.rate > 0.0 && self.kinds.is_empty() {
            return Err("a fault rate above 0 needs at least one fault kind".to_string());
        }
        Ok(())
    }
}

/// A fault for the next vendor request that matches: deterministic tests of
/// one exact case (say, `drop-after` on the next `POST /ccp/v3/user`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScheduledFault {
    pub kind: FaultKind,
    /// Only a request with this method (any when absent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub method: Option<String>,
    /// Only a request whose full path (e.g. `/ccp/v3/user`) starts with this.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path_prefix: Option<String>,
}

impl ScheduledFault {
    fn matches(&self, method: &str, path: &str) -> bool {
        self.method
            .as_deref()
            .is_none_or(|m| m.eq_ignore_ascii_case(method))
            && self
                .path_prefix
                .as_deref()
                .is_none_or(|p| path.starts_with(p))
    }
}

/// The fault generator: settings, a queue of scheduled faults and the RNG.
pub(crate) struct Injector {
    pub(crate) settings: FaultSettings,
    pub(crate) scheduled: VecDeque<ScheduledFault>,
    rng: StdRng,
}

impl Injector {
    pub(crate) fn new(settings: FaultSettings, rng_seed: Option<u64>) -> Self {
        let rng = match rng_seed {
            Some(seed) => StdRng::seed_from_u64(seed),
            None => StdRng::from_os_rng(),
        };
        Self {
            settings,
            scheduled: VecDeque::new(),
            rng,
        }
    }

    /// The fault for one vendor request, if any: a matching scheduled fault
    /// first, else a draw at the configured rate.
    pub(crate) fn decide(&mut self, method: &str, path: &str) -> Option<FaultKind> {
        if let Some(pos) = self.scheduled.iter().position(|f| f.matches(method, path)) {
            return self.scheduled.remove(pos).map(|f| f.kind);
        }
        if self.settings.rate <= 0.0 || self.settings.kinds.is_empty() {
            return None;
        }
        if self.rng.random::<f64>() >= self.settings.rate {
            return None;
        }
        let index = self.rng.random_range(0..self.settings.kinds.len());
        Some(self.settings.kinds[index])
    }
}

/// Parses the CLI's `--faults` list (empty = every kind).
pub fn parse_kinds(names: &[String]) -> Result<Vec<FaultKind>, String> {
    if names.iter().all(|n| n.trim().is_empty()) {
        return Ok(FaultKind::ALL.to_vec());
    }
    names
        .iter()
        .filter(|n| !n.trim().is_empty())
        .map(|n| n.parse())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn draws(seed: u64) -> Vec<Option<FaultKind>> {
        let settings = FaultSettings {
            rate: 0.5,
            ..FaultSettings::default()
        };
        let mut injector = Injector::new(settings, Some(seed));
        (0..200).map(|_| injector.decide("GET", "/x")).collect()
    }

    #[test]
    fn the_same_seed_gives_the_same_faults() {
        assert_eq!(draws(7), draws(7));
        assert_ne!(draws(7), draws(8));
        let hits = draws(7).iter().filter(|d| d.is_some()).count();
        assert!((60..140).contains(&hits), "rate 0.5 gave {hits}/200");
    }

    #[test]
    fn scheduled_faults_match_method_and_path_in_order() {
        let mut injector = Injector::new(FaultSettings::default(), Some(1));
        injector.scheduled.push_back(ScheduledFault {
            kind: FaultKind::DropAfter,
            method: Some("POST".into()),
            path_prefix: Some("/ccp/v3/user".into()),
        });
        assert_eq!(injector.decide("POST", "/ccp/v3/auth/token"), None);
        assert_eq!(injector.decide("GET", "/ccp/v3/user"), None);
        assert_eq!(
            injector.decide("post", "/ccp/v3/user"),
            Some(FaultKind::DropAfter)
        );
        assert_eq!(injector.decide("POST", "/ccp/v3/user"), None);
    }

    #[test]
    fn kinds_parse_from_the_cli_spelling() {
        assert_eq!(parse_kinds(&[]).unwrap().len(), 6);
        assert_eq!(
            parse_kinds(&["429".into(), "drop-after".into()]).unwrap(),
            vec![FaultKind::Status429, FaultKind::DropAfter]
        );
        assert!(parse_kinds(&["teapot".into()])
            .unwrap_err()
            .contains("teapot"));
    }

    #[test]
    fn rates_outside_zero_to_one_are_refused() {
        let bad = FaultSettings {
            rate: 1.5,
            ..FaultSettings::default()
        };
        assert!(bad.validate().is_err());
        let none = FaultSettings {
            rate: 0.2,
            kinds: vec![],
            latency_ms: 0,
        };
        assert!(none.validate().is_err());
    }
}
