//! What the end-to-end tests share: a sandbox on an ephemeral loopback
//! port with the runtime serving it, a folder for files, and the real
//! `headcount` binary run there with the sandbox's credentials.
//!
//! Each test file that uses it says `mod common;`; a file uses only part
//! of it, hence the `dead_code` allowance.
#![allow(dead_code)]

use std::path::PathBuf;
use std::process::Output;

use assert_cmd::Command;
use headcount::sandbox::{self, Sandbox, SandboxOptions, Seed};
use serde_json::Value;

/// A sandbox, the runtime serving it, and a folder for files.
pub struct World {
    pub sandbox: Sandbox,
    pub dir: tempfile::TempDir,
    /// Environment variables (passwords of accounts) set for every run,
    /// besides the provider credentials.
    pub env: Vec<(&'static str, &'static str)>,
    // Declared last: fields drop in order, so the runtime outlives the sandbox.
    pub runtime: tokio::runtime::Runtime,
}

impl World {
    /// A sandbox seeded with `seed` (vendor name -> accounts).
    pub fn new(seed: Value) -> World {
        World::start(SandboxOptions {
            seed: Seed::from_json(seed).unwrap(),
            rng_seed: Some(7),
            ..SandboxOptions::default()
        })
    }

    /// A sandbox started with `options`.
    pub fn start(options: SandboxOptions) -> World {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let sandbox = runtime.block_on(Sandbox::start(options)).unwrap();
        World {
            sandbox,
            dir: tempfile::tempdir().unwrap(),
            env: Vec::new(),
            runtime,
        }
    }

    /// Sets a variable for every run (an account's password).
    pub fn with_env(mut self, name: &'static str, value: &'static str) -> World {
        self.env.push((name, value));
        self
    }

    /// The providers block for this sandbox, with extra lines per provider
    /// (indented by four).
    pub fn providers(&self, thulium: &str, ccp: &str, dnl: &str) -> String {
        format!(
            "version: 1\nproviders:\n  thulium:\n    type: thulium\n    url: {}\n    auth: {{ username: {{ env: TH_USER }}, password: {{ env: TH_PASS }} }}\n{thulium}  ccp:\n    type: ccp\n    url: {}\n    auth: {{ api_key: {{ env: CCP_KEY }} }}\n{ccp}  dnl:\n    type: dnl\n    url: {}\n    auth: {{ username: admin, password: {{ env: DNL_PASS }} }}\n{dnl}",
            self.sandbox.thulium_url(),
            self.sandbox.ccp_url(),
            self.sandbox.dnl_url()
        )
    }

    pub fn write(&self, name: &str, text: &str) -> PathBuf {
        let path = self.dir.path().join(name);
        std::fs::write(&path, text).unwrap();
        path
    }

    /// `headcount` in the folder, with the credentials and the world's
    /// variables in its environment, but for those named in `unset`.
    pub fn command(&self, unset: &[&str]) -> Command {
        let mut cmd = Command::cargo_bin("headcount").unwrap();
        cmd.env_clear().env("NO_COLOR", "1");
        let credentials = [
            ("TH_USER", sandbox::THULIUM_USER),
            ("TH_PASS", sandbox::THULIUM_PASSWORD),
            ("CCP_KEY", sandbox::CCP_API_KEY),
            ("DNL_PASS", sandbox::DNL_PASSWORD),
        ];
        for (name, value) in credentials.iter().chain(&self.env) {
            if !unset.contains(name) {
                cmd.env(name, value);
            }
        }
        cmd.current_dir(self.dir.path())
            .timeout(std::time::Duration::from_secs(120));
        cmd
    }

    /// `headcount ARGS` with every variable set.
    pub fn run(&self, args: &[&str]) -> Output {
        self.command(&[]).args(args).output().unwrap()
    }
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}
