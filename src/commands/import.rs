//! `headcount import --provider NAME`: a provider's accounts as file entries.

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
    let provider = desired.providers.get(&args.provider).ok_or_else(|| {
        let names: Vec<&str> = desired.providers.keys().map(String::as_str).collect();
        miette::miette!(
            help = format!("the file's providers are: {}", names.join(", ")),
            "the file defines no provider named \"{}\"",
            args.provider
        )
    })?;
    let driver = refresh::connect(provider, args.parallelism)?;
    let mut records = refresh::read_one(&driver).await?;
    // Accounts the provider's `ignore:` names are left out.
    records.retain(|r| provider.ignored_by(&r.key).is_none());
    let yaml = export::entries_yaml(&provider.name, provider.schema, &records);
    match &args.out {
        Some(path) => {
            crate::output::write_file(path, &yaml, "the imported entries")?;
            eprintln!(
                "Imported {} {}(s) from {} into {}.",
                records.len(),
                provider.schema.kind.noun(),
                provider.name,
                path.display()
            );
        }
        None => crate::output::print(&yaml)?,
    }
    Ok(super::EXIT_OK)
}
