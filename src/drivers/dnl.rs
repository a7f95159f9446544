//! DNL class-4 softswitch users (`/user/...`, X-Auth-Token from `POST /auth`).

use crate::model::{AuthFieldSpec, DriverSchema, FieldSpec, FieldType, Kind};

use super::VendorEntry;

/// DNL's user fields as the `users:` section names them.
pub static SCHEMA: DriverSchema = DriverSchema {
    vendor: "dnl",
    display_name: "DNL",
    kind: Kind::User,
    key_field: "name",
    active_field: "active",
    url_example: "https://switch.example.net/api_dnl/v1",
    auth: &[
        AuthFieldSpec {
            name: "username",
            secret: false,
            description: "Admin e-mail or name (email_or_name)",
        },
        AuthFieldSpec {
            name: "password",
            secret: true,
            description: "Admin password",
        },
    ],
    fields: &[
        FieldSpec::new("name", FieldType::String, "Login name; the natural key.").required(),
        FieldSpec::new(
            "password",
            FieldType::Secret,
            "Password (passwd on the wire); set on create only.",
        )
        .required()
        .create_only(),
        FieldSpec::new(
            "user_type",
            FieldType::Enum(&["admin", "agent", "client"]),
            "User type.",
        )
        .required(),
        FieldSpec::new("email", FieldType::Email, "E-mail address."),
        FieldSpec::new("first_name", FieldType::String, "First name."),
        FieldSpec::new("last_name", FieldType::String, "Last name."),
        FieldSpec::new("role_id", FieldType::Integer, "Role id."),
        FieldSpec::new("active", FieldType::Boolean, "Whether the user is active."),
        FieldSpec::new("client_id", FieldType::Integer, "Client (carrier) id."),
        FieldSpec::new("reseller_id", FieldType::Integer, "Reseller id."),
        FieldSpec::new("card_id", FieldType::Integer, "Card id."),
        FieldSpec::new("avatar_id", FieldType::Integer, "Avatar id."),
        FieldSpec::new("landing_page", FieldType::String, "Page shown after login."),
        FieldSpec::new("default_mod", FieldType::String, "Default module."),
        FieldSpec::new("default_mod2", FieldType::String, "Second default module."),
        FieldSpec::new("report_group", FieldType::Boolean, "Report group flag."),
        FieldSpec::new(
            "outbound_report",
            FieldType::Boolean,
            "Outbound report flag.",
        ),
        FieldSpec::new(
            "all_termination",
            FieldType::Boolean,
            "Access to all termination.",
        ),
        FieldSpec::new(
            "show_carrier_trunk_drop_only",
            FieldType::Boolean,
            "Show carrier trunk drop only.",
        ),
        FieldSpec::new("report_fields", FieldType::String, "Report fields."),
        FieldSpec::new(
            "auth_ip",
            FieldType::IpSet,
            "IP addresses allowed to log in ([{ip}] on the wire); set on create only.",
        )
        .create_only(),
        FieldSpec::new(
            "client_limits",
            FieldType::IntegerSet,
            "Client ids the user is limited to ([{client_id}] on the wire); set on create only.",
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
        "the dnl driver is not built yet",
    ))
}
