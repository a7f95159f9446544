//! Guardrails: per provider, the most creates, updates, password resets and
//! deactivations a plan may make before a person must allow them
//! (`--allow KIND`, or `--force` for every kind). A plan over a limit is
//! not an error: it *needs approval* (exit 3).

use serde::{Deserialize, Serialize};

use crate::desired::settings::DEFAULT_MAX_DEACTIVATE_PERCENT;
use crate::desired::types::{Limit, Limits};
use crate::desired::{Desired, Provider};

/// A kind of change a limit counts.
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    schemars::JsonSchema,
)]
#[serde(rename_all = "kebab-case")]
pub enum ChangeKind {
    Creates,
    Updates,
    PasswordResets,
    Deactivations,
}

impl ChangeKind {
    pub const ALL: [ChangeKind; 4] = [
        ChangeKind::Creates,
        ChangeKind::Updates,
        ChangeKind::PasswordResets,
        ChangeKind::Deactivations,
    ];

    /// As written after `--allow` (`password-resets`).
    pub fn flag(self) -> &'static str {
        match self {
            ChangeKind::Creates => "creates",
            ChangeKind::Updates => "updates",
            ChangeKind::PasswordResets => "password-resets",
            ChangeKind::Deactivations => "deactivations",
        }
    }

    /// As written in `limits:` (`password_resets`).
    pub fn setting(self) -> &'static str {
        match self {
            ChangeKind::PasswordResets => "password_resets",
            other => other.flag(),
        }
    }

    /// Parses one `--allow` word.
    pub fn parse(text: &str) -> Result<ChangeKind, String> {
        let t = text.trim();
        ChangeKind::ALL
            .into_iter()
            .find(|k| k.flag() == t || k.setting() == t)
            .ok_or_else(|| {
                format!("unknown kind of change \"{t}\": write creates, updates, password-resets or deactivations")
            })
    }

    fn of(self, limits: &Limits) -> Option<Limit> {
        match self {
            ChangeKind::Creates => limits.creates,
            ChangeKind::Updates => limits.updates,
            ChangeKind::PasswordResets => limits.password_resets,
            ChangeKind::Deactivations => limits.deactivations,
        }
    }
}

impl std::fmt::Display for ChangeKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.flag())
    }
}

/// What `--allow` (and `--force`) lift.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Allowed {
    /// `--force`: every kind.
    pub all: bool,
    pub kinds: Vec<ChangeKind>,
}

impl Allowed {
    pub fn allows(&self, kind: ChangeKind) -> bool {
        self.all || self.kinds.contains(&kind)
    }

    /// The kinds, sorted and once each (as saved plans record them).
    pub fn words(&self) -> Vec<String> {
        let mut kinds = self.kinds.clone();
        kinds.sort();
        kinds.dedup();
        kinds.into_iter().map(|k| k.flag().to_string()).collect()
    }
}

/// The limit on one kind of change for a provider: its own `limits:`, its
/// `max_deactivate_percent:` (deactivations), the file's `limits:`, then
/// the default (25% of deactivations).
pub fn limit_for(desired_limits: &Limits, provider: &Provider, kind: ChangeKind) -> Option<Limit> {
    kind.of(&provider.limits)
        .or_else(|| {
            (kind == ChangeKind::Deactivations && provider.max_deactivate_percent_set)
                .then_some(Limit::Percent(provider.max_deactivate_percent))
        })
        .or_else(|| kind.of(desired_limits))
        .or_else(|| {
            (kind == ChangeKind::Deactivations)
                .then_some(Limit::Percent(DEFAULT_MAX_DEACTIVATE_PERCENT))
        })
}

/// The population below which a provider's percentages do not apply.
pub fn min_population(desired: &Desired, provider: &Provider) -> u64 {
    provider
        .limits
        .min_population
        .or(desired.limits.min_population)
        .unwrap_or(0)
}

/// A limit a plan goes over.
#[derive(Clone, Debug, PartialEq)]
pub struct Breach {
    pub provider: String,
    pub kind: ChangeKind,
    /// Changes of this kind the plan makes on the provider.
    pub count: usize,
    /// The provider's accounts (the share's base).
    pub population: usize,
    pub limit: Limit,
    /// How many changes over the limit.
    pub over_by: usize,
    /// Lifted by `--allow` or `--force`.
    pub allowed: bool,
}

impl Breach {
    /// "5 deactivations of 8 accounts on thulium (62%), over its limit of 25% by 3".
    pub fn describe(&self) -> String {
        let share = if self.population > 0 {
            format!(
                " ({:.0}%)",
                self.count as f64 * 100.0 / self.population as f64
            )
        } else {
            String::new()
        };
        let kind = self.kind.flag().replace('-', " ");
        let kind = match self.count {
            1 => kind.trim_end_matches('s').to_string(),
            _ => kind,
        };
        let accounts = if self.population == 1 {
            "account"
        } else {
            "accounts"
        };
        format!(
            "{} {kind} of {} {accounts} on {}{share}: over its limit of {} by {}",
            self.count, self.population, self.provider, self.limit, self.over_by
        )
    }

    /// How to let the plan through.
    pub fn how_to_allow(&self) -> String {
        format!(
            "if the plan is right, run again with --allow {} (or raise `limits: {{ {}: ... }}` of provider {}); otherwise fix the file",
            self.kind.flag(),
            self.kind.setting(),
            self.provider
        )
    }
}

/// The breach of `limit` by `count` changes among `population` accounts, if any.
pub fn check(limit: Limit, count: usize, population: usize, min_population: u64) -> Option<usize> {
    let most = match limit {
        Limit::Count(n) => n as f64,
        Limit::Percent(_) if (population as u64) < min_population || population == 0 => {
            return None
        }
        Limit::Percent(p) => (p * population as f64 / 100.0).floor(),
    };
    let over = count as f64 - most;
    (over > 0.0).then_some(over as usize)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_and_percentages() {
        assert_eq!(check(Limit::Count(10), 10, 100, 0), None);
        assert_eq!(check(Limit::Count(10), 13, 100, 0), Some(3));
        // 25% of 8 is 2: a third deactivation is over by 1.
        assert_eq!(check(Limit::Percent(25.0), 2, 8, 0), None);
        assert_eq!(check(Limit::Percent(25.0), 3, 8, 0), Some(1));
        // Below the population floor, percentages do not apply; counts do.
        assert_eq!(check(Limit::Percent(25.0), 3, 8, 10), None);
        assert_eq!(check(Limit::Count(1), 3, 8, 10), Some(2));
    }

    #[test]
    fn allow_words_parse() {
        assert_eq!(
            ChangeKind::parse("password-resets"),
            Ok(ChangeKind::PasswordResets)
        );
        assert_eq!(
            ChangeKind::parse("deactivations"),
            Ok(ChangeKind::Deactivations)
        );
        assert!(ChangeKind::parse("deletes").is_err());
    }
}
