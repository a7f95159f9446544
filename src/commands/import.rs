//! `headcount import --provider NAME`: a provider's accounts as file
//! entries; `--people`: every provider's, joined into people.

use crate::desired::{Desired, Provider};
use crate::model::RemoteRecord;

use crate::cli::ImportArgs;
use crate::export;
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
    let (yaml, what) = match &args.provider {
        Some(name) => one_provider(&desired, name, args.parallelism).await?,
        None => people(&desired, args.parallelism).await?,
    };
    match &args.out {
        Some(path) => {
            crate::output::write_file(path, &yaml, "the imported entries")?;
            crate::output::eprintln(&format!("Imported {what} into {}.", path.display()));
        }
        None => crate::output::print(&yaml)?,
    }
    Ok(super::EXIT_OK)
}

/// A provider's accounts, its `ignore:` patterns applied.
async fn read(provider: &Provider, parallelism: u32) -> miette::Result<Vec<RemoteRecord>> {
    let driver = refresh::connect(provider, parallelism)?;
    let mut records = refresh::read_one(&driver).await?;
    records.retain(|r| provider.ignored_by(&r.key).is_none());
    Ok(records)
}

async fn one_provider(
    desired: &Desired,
    name: &str,
    parallelism: u32,
) -> miette::Result<(String, String)> {
    let provider = desired.providers.get(name).ok_or_else(|| {
        let names: Vec<&str> = desired.providers.keys().map(String::as_str).collect();
        miette::miette!(
            help = format!("the file's providers are: {}", names.join(", ")),
            "the file defines no provider named \"{name}\""
        )
    })?;
    let records = read(provider, parallelism).await?;
    let yaml = export::entries_yaml(&provider.name, provider.schema, &records);
    let what = format!(
        "{} {}(s) from {}",
        records.len(),
        provider.schema.kind.noun(),
        provider.name
    );
    Ok((yaml, what))
}

async fn people(desired: &Desired, parallelism: u32) -> miette::Result<(String, String)> {
    if desired.providers.is_empty() {
        return Err(miette::miette!(
            help = "define the providers under `providers:` first",
            "the file defines no provider to import from"
        ));
    }
    let mut read_all = Vec::with_capacity(desired.providers.len());
    for provider in desired.providers.values() {
        read_all.push(read(provider, parallelism));
    }
    let records = futures::future::try_join_all(read_all).await?;
    let sources: Vec<export::people::Source<'_>> = desired
        .providers
        .values()
        .zip(&records)
        .map(|(p, records)| export::people::Source {
            provider: &p.name,
            schema: p.schema,
            records,
        })
        .collect();
    let yaml = export::people::people_yaml(&sources);
    let total: usize = records.iter().map(Vec::len).sum();
    Ok((
        yaml,
        format!(
            "{total} account(s) from {} provider(s), as people",
            sources.len()
        ),
    ))
}
