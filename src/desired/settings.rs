//! The settings a provider takes (`type`, `url`, `auth`, `unlisted`, ...),
//! written once: the validator ([`super::validate`]) checks a provider
//! against this table and the JSON Schema ([`super::schema`]) is generated
//! from it, so names, ranges, defaults and descriptions cannot drift apart.

use std::time::Duration;

/// One provider setting.
#[derive(Clone, Copy, Debug)]
pub struct Setting {
    pub name: &'static str,
    /// For the schema (editors show it). `url` and `auth` are completed
    /// there with the vendor's example URL and name.
    pub description: &'static str,
    /// Must be given (`type`, `url`, `auth`).
    pub required: bool,
    pub rule: Rule,
}

/// What a setting's value must be.
#[derive(Clone, Copy, Debug)]
pub enum Rule {
    /// `type:`, one of the vendors (their schemas say the rest).
    Vendor,
    /// `url:`, an `http(s)://` base URL without credentials.
    Url,
    /// `auth:`, the credentials the vendor's driver lists.
    Auth,
    /// One word of `values`.
    Choice {
        values: &'static [&'static str],
        default: &'static str,
    },
    /// A whole number from `min` to `max`; `help` says what it is for.
    Integer {
        min: i64,
        max: i64,
        help: &'static str,
    },
    /// A number from `min` to `max`.
    Number {
        min: f64,
        max: f64,
        default: f64,
        help: &'static str,
    },
    /// Whole seconds or a duration text (`30s`, `2m`, `1m30s`, `1500ms`),
    /// more than zero and at most `max` (`max_text` in words).
    Duration {
        max: Duration,
        max_text: &'static str,
    },
    /// `true` or `false`; off unless set.
    Flag,
    /// The path of a readable regular file, relative to the YAML file's folder.
    File,
    /// Field values for the provider's entries (the vendor's entry fields,
    /// the key excepted).
    Defaults,
    /// A list of account-key patterns (`*` and `?` globs).
    Patterns,
    /// `{ per_second: N, burst: M }`: a request budget.
    RateLimit,
    /// Guardrails per kind of change (`creates`, `updates`,
    /// `password_resets`, `deactivations`: a count or a percentage) and
    /// `min_population`.
    Limits,
}

pub const TYPE: Setting = Setting {
    name: "type",
    description: "The vendor.",
    required: true,
    rule: Rule::Vendor,
};

pub const URL: Setting = Setting {
    name: "url",
    description: "Base URL",
    required: true,
    rule: Rule::Url,
};

pub const AUTH: Setting = Setting {
    name: "auth",
    description: "credentials",
    required: true,
    rule: Rule::Auth,
};

pub const UNLISTED: Setting = Setting {
    name: "unlisted",
    description: "What to do with accounts on the provider that this file does not list.",
    required: false,
    rule: Rule::Choice {
        values: &["ignore", "report", "deactivate"],
        default: "report",
    },
};

pub const EDITS: Setting = Setting {
    name: "edits",
    description: "How this provider's updates and deactivations are made: `api` sends them through the vendor's edit endpoint; `manual` plans them as steps for a person to make in the vendor's own panel, which apply never sends and drift reports until they are done. For Thulium, whose agent edit endpoint (PUT /api/agents/{login}) no public document names, `headcount doctor --probe-edits` finds out whether the system has one.",
    required: false,
    rule: Rule::Choice {
        values: &["api", "manual"],
        default: "api",
    },
};

pub const PARALLELISM: Setting = Setting {
    name: "parallelism",
    description: "Maximum concurrent requests to this provider.",
    required: false,
    rule: Rule::Integer {
        min: 1,
        max: 256,
        help: "it caps concurrent requests to this provider; leave it out to use `--parallelism` (default 8)",
    },
};

pub const TIMEOUT: Setting = Setting {
    name: "timeout",
    description:
        "Per-request timeout: whole seconds, or a duration such as \"30s\", \"2m\", \"1500ms\".",
    required: false,
    rule: Rule::Duration {
        max: Duration::from_secs(3600),
        max_text: "one hour",
    },
};

/// `max_deactivate_percent` when the file does not set it.
pub const DEFAULT_MAX_DEACTIVATE_PERCENT: f64 = 25.0;

pub const MAX_DEACTIVATE_PERCENT: Setting = Setting {
    name: "max_deactivate_percent",
    description: "Needs approval (exit 3) for plans that deactivate more than this share (percent) of the provider's accounts, unless --allow deactivations or --force. `limits: { deactivations: ... }` says the same and wins.",
    required: false,
    rule: Rule::Number {
        min: 0.0,
        max: 100.0,
        default: DEFAULT_MAX_DEACTIVATE_PERCENT,
        help: "it is a percentage of the provider's accounts; the default is 25",
    },
};

pub const INSECURE_HTTP: Setting = Setting {
    name: "insecure_http",
    description: "Allow plain http:// to a host that is not loopback.",
    required: false,
    rule: Rule::Flag,
};

pub const CA_FILE: Setting = Setting {
    name: "ca_file",
    description: "PEM file of extra root certificates to trust (a private CA), relative to this file's folder.",
    required: false,
    rule: Rule::File,
};

pub const DEFAULTS: Setting = Setting {
    name: "defaults",
    description: "Field values for every entry of this provider that does not set the field itself (the entries' field names; secrets as references). The key field cannot have a default.",
    required: false,
    rule: Rule::Defaults,
};

pub const IGNORE: Setting = Setting {
    name: "ignore",
    description: "Key patterns (`*` and `?` globs) of accounts headcount never touches nor reports, such as service and API accounts or the vendor's built-in admin. Listing an ignored account in this file is an error.",
    required: false,
    rule: Rule::Patterns,
};

/// The most requests per second a `rate_limit` may allow.
pub const MAX_PER_SECOND: f64 = 10_000.0;
/// The least: one request every 100 seconds.
pub const MIN_PER_SECOND: f64 = 0.01;
/// The largest `burst`.
pub const MAX_BURST: i64 = 10_000;

pub const RATE_LIMIT: Setting = Setting {
    name: "rate_limit",
    description: "A request budget for this provider: at most `per_second` requests a second on average (a decimal below 1 for a slower budget, e.g. 0.5), and at most `burst` at once (default 1: evenly spaced). Every request of a run counts (logins, listings, writes, read-back, retries); `plan` says how long the apply will take within it.",
    required: false,
    rule: Rule::RateLimit,
};

pub const LIMITS: Setting = Setting {
    name: "limits",
    description: "Guardrails: the most creates, updates, password resets and deactivations a plan may make on this provider without `--allow` (a count such as 200, or a percentage of its accounts such as \"10%\"), and `min_population`, the number of accounts below which percentages do not apply. What it leaves out comes from the top-level `limits:`. A plan over a limit exits 3 (needs approval).",
    required: false,
    rule: Rule::Limits,
};

/// Every provider setting, in the order the schema lists them.
pub const SETTINGS: &[Setting] = &[
    TYPE,
    URL,
    AUTH,
    UNLISTED,
    EDITS,
    PARALLELISM,
    TIMEOUT,
    MAX_DEACTIVATE_PERCENT,
    LIMITS,
    INSECURE_HTTP,
    CA_FILE,
    DEFAULTS,
    IGNORE,
    RATE_LIMIT,
];

/// The names of [`SETTINGS`].
pub const NAMES: &[&str] = &names();

const fn names() -> [&'static str; SETTINGS.len()] {
    let mut out = [""; SETTINGS.len()];
    let mut i = 0;
    while i < SETTINGS.len() {
        out[i] = SETTINGS[i].name;
        i += 1;
    }
    out
}

/// What a provider's name (its key under `providers:`) must match: it is
/// used in `--target NAME/KEY`.
pub const PROVIDER_NAME_PATTERN: &str = "^[A-Za-z0-9][A-Za-z0-9_.-]*$";

/// How to fix a name that does not match [`PROVIDER_NAME_PATTERN`].
pub const PROVIDER_NAME_HELP: &str = "use letters, digits, `_`, `-` and `.`, starting with a letter or digit (it is used in `--target NAME/KEY`)";

/// The duration texts `timeout:` takes besides whole seconds.
pub const DURATION_PATTERN: &str = "^([0-9]+(ms|s|m|h))+$";
