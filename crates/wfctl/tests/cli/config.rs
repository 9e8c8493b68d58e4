//! wfctl's config file, through the binary: a file value is used, `WEFT_*` variables beat
//! it, flags beat both; `--config` and `WEFT_CONFIG` choose the file; unknown keys, refused
//! values and malformed TOML are errors naming the file, the line and the key.
//!
//! Server commands are pointed at closed loopback ports: the error names the server used.

use std::path::{Path, PathBuf};
use std::process::Command;

use weft_test_guests_artifacts as guests;

/// What a `wfctl` run printed and how it ended.
#[derive(Debug)]
struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

/// A Weft home of its own, where `weft.toml` may be written.
struct Home {
    dir: tempfile::TempDir,
}

impl Home {
    fn new() -> Home {
        Home {
            dir: tempfile::tempdir().expect("temporary home"),
        }
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Write `text` as the home's `weft.toml`.
    fn config(&self, text: &str) -> PathBuf {
        self.write("weft.toml", text)
    }

    fn write(&self, name: &str, text: &str) -> PathBuf {
        let path = self.path().join(name);
        std::fs::write(&path, text).expect("write config");
        path
    }

    /// Run `wfctl args` with this home and `env`, and no other `WEFT_*` variable.
    fn wfctl(&self, env: &[(&str, &str)], args: &[&str]) -> Run {
        let mut command = Command::new(env!("CARGO_BIN_EXE_wfctl"));
        for (key, _) in std::env::vars_os() {
            if key.to_string_lossy().starts_with("WEFT_") {
                command.env_remove(key);
            }
        }
        let out = command
            .args(args)
            .env("WEFT_HOME", self.path())
            .envs(env.iter().copied())
            .output()
            .expect("wfctl runs");
        Run {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }

    /// The server `wfctl dags list` tried to reach.
    #[track_caller]
    fn server_used(&self, env: &[(&str, &str)], args: &[&str]) -> String {
        let mut all = vec!["dags", "list"];
        all.extend(args);
        let run = self.wfctl(env, &all);
        assert_eq!(run.code, 2, "{run:?}");
        let rest = run
            .stderr
            .split("cannot reach the Weft server at ")
            .nth(1)
            .unwrap_or_else(|| panic!("no server named: {run:?}"));
        rest.split(':').take(3).collect::<Vec<_>>().join(":")
    }

    /// Run `wfctl args`, expecting exit 2 and an error holding every one of `needles`.
    #[track_caller]
    fn usage_error(&self, env: &[(&str, &str)], args: &[&str], needles: &[&str]) -> Run {
        let run = self.wfctl(env, args);
        assert_eq!(run.code, 2, "{run:?}");
        for needle in needles {
            assert!(run.stderr.contains(needle), "{needle:?} not in {run:?}");
        }
        run
    }
}

const FILE_SERVER: &str = "http://127.0.0.1:1";
const ENV_SERVER: &str = "http://127.0.0.1:2";
const FLAG_SERVER: &str = "http://127.0.0.1:3";

#[test]
fn the_home_config_file_value_is_used() {
    let home = Home::new();
    assert_eq!(
        home.server_used(&[], &[]),
        "http://127.0.0.1:8080",
        "no file: the built-in default"
    );
    home.config(&format!("server = \"{FILE_SERVER}\"\n"));
    assert_eq!(home.server_used(&[], &[]), FILE_SERVER);
}

#[test]
fn the_environment_beats_the_file_and_a_flag_beats_both() {
    let home = Home::new();
    home.config(&format!("server = \"{FILE_SERVER}\"\n"));
    let env = [("WEFT_SERVER", ENV_SERVER)];
    assert_eq!(home.server_used(&env, &[]), ENV_SERVER);
    assert_eq!(
        home.server_used(&env, &["--server", FLAG_SERVER]),
        FLAG_SERVER
    );
    assert_eq!(
        home.server_used(&[], &["--server", FLAG_SERVER]),
        FLAG_SERVER
    );
}

#[test]
fn config_flag_and_variable_choose_the_file() {
    let home = Home::new();
    home.config(&format!("server = \"{FILE_SERVER}\"\n"));
    let by_env = home.write("env.toml", &format!("server = \"{ENV_SERVER}\"\n"));
    let by_flag = home.write("flag.toml", &format!("server = \"{FLAG_SERVER}\"\n"));
    let env = [("WEFT_CONFIG", by_env.to_str().expect("utf-8 path"))];
    assert_eq!(home.server_used(&env, &[]), ENV_SERVER);
    let flag = by_flag.to_str().expect("utf-8 path");
    assert_eq!(home.server_used(&env, &["--config", flag]), FLAG_SERVER);
    let equals = format!("--config={flag}");
    assert_eq!(home.server_used(&[], &[&equals]), FLAG_SERVER);

    let missing = home.path().join("missing.toml");
    let missing = missing.to_str().expect("utf-8 path");
    home.usage_error(
        &[],
        &["--config", missing, "dags", "list"],
        &["cannot read the config file", missing],
    );
}

#[test]
fn a_command_table_applies_to_its_command() {
    let home = Home::new();
    home.config("[inspect]\noutput = \"json\"\n");
    let run = home.wfctl(&[], &["inspect", guests::NOOP]);
    assert_eq!(run.code, 0, "{run:?}");
    let json: serde_json::Value = serde_json::from_str(&run.stdout).expect("JSON output");
    assert_eq!(json["dag_id"], "noop");
    let run = home.wfctl(&[], &["inspect", guests::NOOP, "--output", "text"]);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(run.stdout.starts_with("DAG noop"), "{run:?}");
}

#[test]
fn unknown_keys_are_errors_naming_the_key_and_the_file() {
    let home = Home::new();
    let path = home.config("server = \"http://127.0.0.1:1\"\nservr = \"x\"\n");
    let file = path.to_str().expect("utf-8 path");
    home.usage_error(
        &[],
        &["dags", "list"],
        &[file, "line 2", "unknown key `servr`"],
    );
    home.config("[dags.trigger]\nwiat = true\n");
    home.usage_error(
        &[],
        &["dags", "list"],
        &["unknown key `dags.trigger.wiat`", "wfctl dags trigger"],
    );
    home.config("[dag]\noutput = \"json\"\n");
    home.usage_error(
        &[],
        &["dags", "list"],
        &["unknown key `dag`", "`wfctl dag` is not a command"],
    );
}

#[test]
fn bad_toml_and_bad_values_are_errors_naming_file_line_and_problem() {
    let home = Home::new();
    let path = home.config("server = \"http://127.0.0.1:1\"\n[standalone\nport = 1\n");
    let file = path.to_str().expect("utf-8 path");
    let run = home.usage_error(&[], &["dags", "list"], &[file, "line 2, column"]);
    assert!(!run.stderr.contains("cannot reach"), "{run:?}");

    home.config("[standalone]\nport = \"eighty\"\n");
    home.usage_error(
        &[],
        &["dags", "list"],
        &[
            file,
            "line 2",
            "`standalone.port`",
            "invalid value 'eighty'",
        ],
    );
    home.config("[standalone]\nport = 70000\n");
    home.usage_error(&[], &["dags", "list"], &["`standalone.port`", "70000"]);
    home.config("output = \"json\"\n");
    home.usage_error(
        &[],
        &["dags", "list"],
        &[
            "`output`",
            "stands for different flags",
            "wfctl build --output",
        ],
    );
}

#[test]
fn a_step_cap_of_zero_is_refused_naming_the_flag() {
    let home = Home::new();
    for command in ["standalone", "scheduler"] {
        home.usage_error(
            &[],
            &[command, "--max-tis-per-step", "0"],
            &["--max-tis-per-step", "'0'"],
        );
    }
    home.config("[scheduler]\nmax-tis-per-step = 0\n");
    home.usage_error(&[], &["scheduler"], &["`scheduler.max-tis-per-step`", "0"]);
}
