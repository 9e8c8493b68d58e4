//! Running the `wfctl` binary from tests, and building the examples once per test binary.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

/// The repository's root.
pub fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .expect("repository root")
}

/// A Weft home shared by the tests of this binary, so compiled components are cached.
fn home() -> &'static Path {
    static HOME: OnceLock<tempfile::TempDir> = OnceLock::new();
    HOME.get_or_init(|| tempfile::tempdir().expect("temporary home"))
        .path()
}

/// What a `wfctl` run printed and how it ended.
pub struct Run {
    /// The exit code (-1 when killed by a signal).
    pub code: i32,
    /// Everything printed on stdout.
    pub stdout: String,
    /// Everything printed on stderr.
    pub stderr: String,
}

impl Run {
    /// The stdout as JSON.
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("stdout is not JSON ({e}):\n{}", self.stdout))
    }
}

impl std::fmt::Debug for Run {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "exit {}\n--- stdout\n{}\n--- stderr\n{}",
            self.code, self.stdout, self.stderr
        )
    }
}

/// Run `wfctl` with `args` from the repository's root.
pub fn wfctl<I, S>(args: I) -> Run
where
    I: IntoIterator<Item = S>,
    S: AsRef<std::ffi::OsStr>,
{
    wfctl_env(args, [] as [(&str, &str); 0])
}

/// Run `wfctl` with `args` from the repository's root, with the variables `env` set.
pub fn wfctl_env<I, S, E, K, V>(args: I, env: E) -> Run
where
    I: IntoIterator<Item = S>,
    S: AsRef<std::ffi::OsStr>,
    E: IntoIterator<Item = (K, V)>,
    K: AsRef<std::ffi::OsStr>,
    V: AsRef<std::ffi::OsStr>,
{
    let out: Output = Command::new(env!("CARGO_BIN_EXE_wfctl"))
        .args(args)
        .current_dir(repo())
        .env("WEFT_HOME", home())
        .env_remove("WEFT_LOG")
        // The operator's egress policy is what each test passes, never the caller's.
        .env_remove("WEFT_EGRESS_ALLOW")
        .env_remove("WEFT_EGRESS_ALLOW_NETS")
        .env_remove("WEFT_EGRESS_CA_FILE")
        .envs(env)
        .output()
        .expect("wfctl runs");
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// Build `examples/<name>` with `wfctl build` (once per test binary); the component's path.
pub fn example(name: &'static str) -> PathBuf {
    static BUILT: OnceLock<std::sync::Mutex<std::collections::HashMap<&'static str, PathBuf>>> =
        OnceLock::new();
    let built = BUILT.get_or_init(Default::default);
    let mut built = built.lock().unwrap_or_else(|p| p.into_inner());
    if let Some(path) = built.get(name) {
        return path.clone();
    }
    let run = wfctl(["build", &format!("examples/{name}")]);
    assert_eq!(run.code, 0, "wfctl build examples/{name}: {run:?}");
    let path = PathBuf::from(run.stdout.lines().last().expect("a path on the last line"));
    assert!(path.is_file(), "{} is not a file", path.display());
    built.insert(name, path.clone());
    path
}
