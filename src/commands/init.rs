//! `headcount init`: a starter desired-state file that validates as it is.

use std::io::Write;

use crate::cli::InitArgs;

/// The starter: one provider of each vendor type, credentials from the
/// environment, no accounts yet (so a first plan only reads).
pub const STARTER: &str = r#"# headcount desired state. Reference: docs/file-format.md. For completion in
# editors: `headcount schema > headcount.schema.json`, then make the first line
# `# yaml-language-server: $schema=headcount.schema.json`.
#
#   headcount validate          # checks this file, needs no credentials
#   headcount plan              # reads the providers, shows what apply would change
#   headcount apply             # applies it after you type `yes`
#
# Secrets are references, never values: { env: NAME } or { file: PATH }.
# Keep the providers you use, delete the others.
version: 1

providers:
  thulium:
    type: thulium
    url: https://acme.thulium.com
    auth:
      username: { env: THULIUM_API_USER }
      password: { env: THULIUM_API_PASSWORD }
    unlisted: report          # accounts on the vendor but not here: ignore | report | deactivate
  ccp:
    type: ccp
    url: https://ccp.example.com
    auth:
      api_key: { env: CCP_API_KEY }
  dnl:
    type: dnl
    url: https://dnl.example.com
    auth:
      username: { env: DNL_USER }
      password: { env: DNL_PASSWORD }

# Thulium agents (natural key: login). For example:
#   - login: jkowalski
#     name: Jan
#     surname: Kowalski
#     number: "5634"
#     password: { env: JKOWALSKI_PASSWORD }
agents: []

# CCP and DNL users (natural key: username for CCP, name for DNL), each with
# `provider:` naming one of the providers above; see examples/ccp.yaml and
# examples/dnl.yaml.
users: []

# People: one entry per person with an account on each provider; the name,
# e-mail and active state fill each vendor's fields, each account's key
# defaults to the id, `active: false` suspends every account. For example:
#   - id: jkowalski
#     name: Jan
#     surname: Kowalski
#     email: jkowalski@example.com
#     accounts:
#       thulium: { number: "5634", password: { env: JKOWALSKI_PASSWORD } }
#       dnl: { user_type: agent, password: { env: JKOWALSKI_PASSWORD } }
people: []
"#;

pub fn run(args: InitArgs) -> miette::Result<u8> {
    if args.file.as_os_str() == "-" {
        crate::output::print(STARTER)?;
        return Ok(super::EXIT_OK);
    }
    let path = &args.file;
    let mut options = std::fs::OpenOptions::new();
    options.write(true);
    if args.force {
        options.create(true).truncate(true);
    } else {
        // create_new: refuses an existing file without a race.
        options.create_new(true);
    }
    let mut file = options.open(path).map_err(|e| {
        if e.kind() == std::io::ErrorKind::AlreadyExists {
            miette::miette!(
                code = "headcount::init::exists",
                help = "keep it, or pass --force to overwrite it, or write elsewhere with -f PATH",
                "{} already exists; nothing was written",
                path.display()
            )
        } else {
            miette::miette!(
                help = "check the folder exists and is writable",
                "cannot write {}: {e}",
                path.display()
            )
        }
    })?;
    file.write_all(STARTER.as_bytes())
        .map_err(|e| miette::miette!("cannot write {}: {e}", path.display()))?;
    crate::output::eprintln(&format!(
        "Wrote a starter desired-state file to {}. Edit the providers, then run: headcount validate -f {}",
        path.display(),
        path.display()
    ));
    Ok(super::EXIT_OK)
}
