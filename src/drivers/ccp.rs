//! CCP users (TEL4VN Pitel Call Center v3: `/v3/user`, Bearer token from an api_key).

use crate::model::{AuthFieldSpec, DriverSchema, FieldSpec, FieldType, Kind};

use super::VendorEntry;

/// CCP's documented username pattern.
pub const USERNAME_PATTERN: &str = r"^[a-zA-Z0-9\s.\-_]+$";

/// CCP's user fields as the `users:` section names them.
pub static SCHEMA: DriverSchema = DriverSchema {
    vendor: "ccp",
    display_name: "CCP",
    kind: Kind::User,
    key_field: "username",
    active_field: "is_active",
    url_example: "https://ccp.example.vn",
    auth: &[AuthFieldSpec {
        name: "api_key",
        secret: true,
        description: "API key, exchanged for a Bearer token",
    }],
    fields: &[
        FieldSpec::new("username", FieldType::String, "User name; the natural key.")
            .required()
            .pattern(USERNAME_PATTERN),
        FieldSpec::new("level", FieldType::Enum(&["admin", "agent"]), "User level.").required(),
        FieldSpec::new("role_uuid", FieldType::String, "UUID of the user's role.").required(),
        FieldSpec::new(
            "password",
            FieldType::Secret,
            "Password; CCP needs it on create and on every edit.",
        )
        .required()
        .required_on_update()
        .create_only(),
        FieldSpec::new("email", FieldType::Email, "E-mail address."),
        FieldSpec::new("first_name", FieldType::String, "First name."),
        FieldSpec::new("extension", FieldType::String, "Extension number."),
        FieldSpec::new(
            "is_create_extension",
            FieldType::Boolean,
            "Create a new extension for the user; set on create only.",
        )
        .create_only(),
        FieldSpec::new(
            "is_active",
            FieldType::Boolean,
            "Whether the user is active (read back as user_enabled).",
        ),
        FieldSpec::new(
            "enable_webrtc",
            FieldType::Boolean,
            "Whether WebRTC is enabled.",
        ),
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
        "the ccp driver is not built yet",
    ))
}
