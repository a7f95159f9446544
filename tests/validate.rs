//! `headcount validate`, the desired-state loader and the file's JSON Schema.

use std::path::Path;

use headcount::commands::render_report;
use headcount::desired;

fn render_all(err: &desired::LoadError) -> String {
    let mut out = String::new();
    for d in err.diagnostics() {
        out.push_str(&render_report(d, false, 100));
    }
    out.push_str(&err.summary());
    out.push('\n');
    out
}

#[test]
fn scratch() {
    let p = Path::new("/tmp/hc/bad.yaml");
    match desired::load(p) {
        Ok(d) => println!("OK {}", desired::validate::describe(&d)),
        Err(e) => println!("{}", render_all(&e)),
    }
    let d = desired::load(Path::new("examples/multi-vendor.yaml")).unwrap();
    println!("{:#?}", d.entries[0]);
}
