#![allow(clippy::unwrap_used)]

use std::path::PathBuf;

use clap::{CommandFactory as _, FromArgMatches as _, Parser, Subcommand};

use super::*;
use crate::output::Format;

/// A small command tree shaped like wfctl's.
#[derive(Debug, Parser)]
#[command(name = "wfctl")]
struct Toy {
    #[command(subcommand)]
    command: ToyCommand,
}

#[derive(Debug, PartialEq, Subcommand)]
enum ToyCommand {
    Serve {
        #[arg(long, default_value_t = 8080)]
        port: u16,
        #[arg(long)]
        verbose: bool,
        #[arg(long = "tag")]
        tags: Vec<String>,
        #[arg(long)]
        name: String,
    },
    Build {
        #[arg(long)]
        output: Option<PathBuf>,
    },
    Dags {
        #[arg(long, value_enum, default_value_t, global = true)]
        output: Format,
        #[command(subcommand)]
        command: DagsCommand,
    },
}

#[derive(Debug, PartialEq, Subcommand)]
enum DagsCommand {
    List,
    Trigger {
        #[arg(long)]
        logical_date: Option<String>,
    },
}

fn file(text: &str) -> ConfigFile {
    ConfigFile::parse(Path::new("/etc/weft.toml"), text).unwrap()
}

fn toy(text: &str, args: &[&str]) -> Result<ToyCommand, ConfigError> {
    let command = apply(with_config_flag(Toy::command()), &file(text))?;
    let argv = std::iter::once("wfctl").chain(args.iter().copied());
    let matches = command.try_get_matches_from(argv).unwrap();
    Ok(Toy::from_arg_matches(&matches).unwrap().command)
}

fn error(text: &str) -> String {
    apply(with_config_flag(Toy::command()), &file(text))
        .unwrap_err()
        .to_string()
}

#[test]
fn file_values_become_defaults_and_flags_beat_them() {
    let text = "port = 9090\nverbose = true\ntag = [\"a\", \"b\"]\nname = \"n\"\n";
    assert_eq!(
        toy(text, &["serve"]).unwrap(),
        ToyCommand::Serve {
            port: 9090,
            verbose: true,
            tags: vec!["a".into(), "b".into()],
            name: "n".into(),
        }
    );
    assert_eq!(
        toy(text, &["serve", "--port", "1", "--tag", "c"]).unwrap(),
        ToyCommand::Serve {
            port: 1,
            verbose: true,
            tags: vec!["c".into()],
            name: "n".into(),
        }
    );
}

#[test]
fn a_command_table_beats_the_top_and_reaches_the_commands_below() {
    let text = "[serve]\nname = \"top\"\n[dags]\noutput = \"json\"\n[dags.trigger]\nlogical-date = \"2024-01-01\"\n";
    assert_eq!(
        toy(text, &["dags", "list"]).unwrap(),
        ToyCommand::Dags {
            output: Format::Json,
            command: DagsCommand::List
        }
    );
    assert_eq!(
        toy(text, &["dags", "trigger"]).unwrap(),
        ToyCommand::Dags {
            output: Format::Json,
            command: DagsCommand::Trigger {
                logical_date: Some("2024-01-01".into())
            }
        }
    );
    let deeper = "[dags]\noutput = \"json\"\n[dags.list]\noutput = \"text\"\n";
    assert_eq!(
        toy(deeper, &["dags", "list"]).unwrap(),
        ToyCommand::Dags {
            output: Format::Text,
            command: DagsCommand::List
        }
    );
}

#[test]
fn unknown_keys_name_the_key_the_line_and_the_file() {
    let e = error("# settings\nport = 1\nprot = 2\n");
    assert_eq!(
        e,
        "config file /etc/weft.toml, line 3: unknown key `prot` (no command under `wfctl` has a --prot flag)"
    );
    let e = error("[dags.trigger]\nlogical_date = \"x\"\n");
    assert!(
        e.contains("line 2: unknown key `dags.trigger.logical_date`"),
        "{e}"
    );
    assert!(e.contains("did you mean `logical-date`?"), "{e}");
    let e = error("[dags.nope]\nx = 1\n");
    assert!(e.contains("line 1: unknown key `dags.nope`"), "{e}");
    assert!(e.contains("`wfctl dags nope` is not a command"), "{e}");
    let e = error("[build]\nport = 1\n");
    assert!(
        e.contains("no command under `wfctl build` has a --port flag"),
        "{e}"
    );
    let e = error("serve = 1\n");
    assert!(e.contains("its settings go in a table, [serve]"), "{e}");
    let e = error("config = \"/other.toml\"\n");
    assert!(e.contains("unknown key `config`"), "{e}");
}

#[test]
fn values_a_flag_refuses_are_errors_naming_the_key() {
    let e = error("port = \"abc\"\n");
    assert!(
        e.starts_with("config file /etc/weft.toml, line 1: `port`: wfctl serve: invalid value 'abc' for '--port <PORT>'"),
        "{e}"
    );
    let e = error("[dags]\noutput = \"yaml\"\n");
    assert!(e.contains("`dags.output`"), "{e}");
    assert!(e.contains("invalid value 'yaml'"), "{e}");
    let e = error("verbose = \"yes\"\n");
    assert!(e.contains("`verbose`: expects true or false"), "{e}");
    let e = error("port = [1, 2]\n");
    assert!(e.contains("`port`: takes one value, not a list"), "{e}");
    let e = ConfigFile::parse(Path::new("/etc/weft.toml"), "tag = [[\"a\"]]\n")
        .unwrap_err()
        .to_string();
    assert!(e.contains("line 1: `tag`: a list may hold only"), "{e}");
}

#[test]
fn a_name_that_stands_for_different_flags_must_be_in_a_table() {
    let e = error("output = \"json\"\n");
    assert!(e.contains("`output`: stands for different flags"), "{e}");
    assert!(e.contains("`wfctl build --output`"), "{e}");
    assert!(e.contains("like [build]"), "{e}");
    assert!(toy("[build]\noutput = \"json\"\n", &["build"]).is_ok());
}

#[test]
fn malformed_toml_names_the_line_and_column() {
    let e = ConfigFile::parse(Path::new("/etc/weft.toml"), "port = 1\nserver = \n")
        .unwrap_err()
        .to_string();
    assert!(
        e.starts_with("config file /etc/weft.toml, line 2, column 10: "),
        "{e}"
    );
    let e = ConfigFile::parse(Path::new("w.toml"), "a = 1\na = 2\n")
        .unwrap_err()
        .to_string();
    assert!(e.contains("line 2"), "{e}");
    assert!(e.contains("duplicate"), "{e}");
}

#[test]
fn scalars_become_flag_text() {
    let f = file("a = 0x1F\nb = 1_000\nc = 1.5\nd = 2024-01-01T00:00:00Z\ne = 'x'\n");
    let values: Vec<_> = f.root.settings.iter().map(|s| s.value.clone()).collect();
    assert_eq!(
        values,
        [
            Value::One("31".into()),
            Value::One("1000".into()),
            Value::One("1.5".into()),
            Value::One("2024-01-01T00:00:00Z".into()),
            Value::One("x".into()),
        ]
    );
}

#[test]
fn the_config_flag_is_found_before_parsing() {
    let args = |a: &[&str]| a.iter().map(OsString::from).collect::<Vec<_>>();
    assert_eq!(
        flag_value(&args(&["wfctl", "--config", "a.toml", "dags", "list"])),
        Some(PathBuf::from("a.toml"))
    );
    assert_eq!(
        flag_value(&args(&["wfctl", "dags", "--config=b.toml", "list"])),
        Some(PathBuf::from("b.toml"))
    );
    assert_eq!(
        flag_value(&args(&["wfctl", "run", "--", "--config", "c.toml"])),
        None
    );
    assert_eq!(flag_value(&args(&["wfctl", "--config"])), None);
    assert_eq!(
        flag_value(&args(&["--config"])),
        None,
        "not the program name"
    );
}

#[test]
fn positions_count_from_one() {
    assert_eq!(position("ab\ncd", 0), (1, 1));
    assert_eq!(position("ab\ncd", 4), (2, 2));
    assert_eq!(position("ab\ncd", 99), (2, 3));
}
