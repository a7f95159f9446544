//! Thulium agents (`/api/agents`, HTTP Basic auth).

use crate::model::{AuthFieldSpec, DriverSchema, FieldSpec, FieldType, Kind};

use super::VendorEntry;

/// Thulium's agent fields as the `agents:` section names them.
pub static SCHEMA: DriverSchema = DriverSchema {
    vendor: "thulium",
    display_name: "Thulium",
    kind: Kind::Agent,
    key_field: "login",
    active_field: "active",
    url_example: "https://acme.thulium.com",
    auth: &[
        AuthFieldSpec {
            name: "username",
            secret: false,
            description: "API user name (Administration > Users > API Users)",
        },
        AuthFieldSpec {
            name: "password",
            secret: true,
            description: "API user password",
        },
    ],
    fields: &[
        FieldSpec::new("login", FieldType::String, "Agent login; the natural key.")
            .required()
            .max_len(64),
        FieldSpec::new("name", FieldType::String, "First name.").required(),
        FieldSpec::new("surname", FieldType::String, "Last name.").required(),
        FieldSpec::new(
            "number",
            FieldType::String,
            "Agent number (digits); Thulium reads it back as an integer.",
        )
        .required()
        .pattern("^[0-9]+$"),
        FieldSpec::new(
            "password",
            FieldType::Secret,
            "Login password; set on create only.",
        )
        .required()
        .create_only(),
        FieldSpec::new("email", FieldType::Email, "E-mail address."),
        FieldSpec::new(
            "change_password",
            FieldType::Boolean,
            "Force a password change at first login; set on create only.",
        )
        .create_only(),
        FieldSpec::new(
            "callerid",
            FieldType::String,
            "Caller ID (default: initial and surname); set on create only.",
        )
        .create_only(),
        FieldSpec::new(
            "language",
            FieldType::Enum(&["pl", "en"]),
            "Panel language; set on create only.",
        )
        .create_only(),
        FieldSpec::new(
            "active",
            FieldType::Boolean,
            "Whether the account is active (default true).",
        ),
        FieldSpec::new(
            "outbound_mode",
            FieldType::Enum(&["manual", "auto"]),
            "Outbound call mode (default manual).",
        ),
        FieldSpec::new(
            "roles",
            FieldType::IntegerSet,
            "Role ids; set on create only (Thulium does not read them back).",
        )
        .create_only(),
    ],
};

pub(super) const VENDOR: VendorEntry = VendorEntry {
    schema: &SCHEMA,
    connect,
};

fn connect(
    config: super::ProviderConfig,
) -> Result<std::sync::Arc<dyn super::Driver>, super::DriverError> {
    Err(super::DriverError::new(
        config.name,
        super::ErrorKind::Config,
        "the thulium driver is not built yet",
    ))
}
