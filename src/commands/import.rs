//! `headcount import --provider NAME`: a provider's accounts as file
//! entries; `--people`: every provider's, joined into people;
//! `--unmanaged`: only the accounts the file neither lists nor ignores.

use std::collections::HashSet;

use crate::desired::{Desired, Provider};
use crate::model::RemoteRecord;

use crate::cli::ImportArgs;
use crate::import;
use crate::refresh;

pub async fn run(args: ImportArgs) -> miette::Result<u8> {
    if let Some(out) = &args.out {
        if out.exists() && !args.force {
            return Err(miette::miette!(
                help = "choose another --out path, or pass --force to overwrite it",
                "{} already exists; import does not overwrite it",
                out.display()
            ));
        }
    }
    let desired = crate::workflow::load(&args.file.file)?;
    let scope = Scope {
        desired: &desired,
        parallelism: args.parallelism,
        claimed: args.unmanaged.then(|| claimed(&desired)),
    };
    let (mut yaml, what) = match &args.provider {
        Some(name) => one_provider(&scope, name).await?,
        None => people(&scope).await?,
    };
    if args.unmanaged {
        yaml.insert_str(
            0,
            &format!(
                "# Only the accounts {} does not list nor ignore (`import --unmanaged`).\n",
                args.file.file.display()
            ),
        );
    }
    match &args.out {
        Some(path) => {
            crate::output::write_file(path, &yaml, "the imported entries")?;
            eprintln!("Imported {what} into {}.", path.display());
        }
        None => crate::output::print(&yaml)?,
    }
    Ok(super::EXIT_OK)
}

/// What to read, and which accounts to leave out.
struct Scope<'a> {
    desired: &'a Desired,
    parallelism: u32,
    /// With `--unmanaged`: the (provider, key) of every account the file
    /// lists, a person's included.
    claimed: Option<HashSet<(&'a str, &'a str)>>,
}

/// The accounts the file lists, by provider name and key (the planner
/// matches keys exactly, so this does too).
fn claimed(desired: &Desired) -> HashSet<(&str, &str)> {
    desired
        .entries
        .iter()
        .map(|e| (e.provider.as_str(), e.key.as_str()))
        .collect()
}

/// A provider's accounts, its `ignore:` patterns applied (and with
/// `--unmanaged`, those the file lists left out).
async fn read(scope: &Scope<'_>, provider: &Provider) -> miette::Result<Vec<RemoteRecord>> {
    let driver = refresh::connect(provider, scope.parallelism)?;
    let mut records = refresh::read_one(&driver).await?;
    records.retain(|r| provider.ignored_by(&r.key).is_none());
    if let Some(claimed) = &scope.claimed {
        records.retain(|r| !claimed.contains(&(provider.name.as_str(), r.key.as_str())));
    }
    Ok(records)
}

async fn one_provider(scope: &Scope<'_>, name: &str) -> miette::Result<(String, String)> {
    let desired = scope.desired;
    let provider = desired.providers.get(name).ok_or_else(|| {
        let names: Vec<&str> = desired.providers.keys().map(String::as_str).collect();
        miette::miette!(
            help = format!("the file's providers are: {}", names.join(", ")),
            "the file defines no provider named \"{name}\""
        )
    })?;
    let records = read(scope, provider).await?;
    let yaml = import::entries_yaml(&provider.name, provider.schema, &records);
    let what = format!(
        "{} {}(s) from {}",
        records.len(),
        provider.schema.kind.noun(),
        provider.name
    );
    Ok((yaml, what))
}

async fn people(scope: &Scope<'_>) -> miette::Result<(String, String)> {
    let desired = scope.desired;
    if desired.providers.is_empty() {
        return Err(miette::miette!(
            help = "define the providers under `providers:` first",
            "the file defines no provider to import from"
        ));
    }
    let mut read_all = Vec::with_capacity(desired.providers.len());
    for provider in desired.providers.values() {
        read_all.push(read(scope, provider));
    }
    let records = futures::future::try_join_all(read_all).await?;
    let sources: Vec<import::people::Source<'_>> = desired
        .providers
        .values()
        .zip(&records)
        .map(|(p, records)| import::people::Source {
            provider: &p.name,
            schema: p.schema,
            records,
        })
        .collect();
    let yaml = import::people::people_yaml(&sources);
    let total: usize = records.iter().map(Vec::len).sum();
    Ok((
        yaml,
        format!(
            "{total} account(s) from {} provider(s), as people",
            sources.len()
        ),
    ))
}
