//! wfctl's configuration file. Its keys are the long flags' names; its values become the
//! flags' defaults before the command line is parsed, so a flag given on the command line
//! beats its `WEFT_*` environment variable, which beats the file.
//!
//! The file is the one named by `--config PATH` (or `WEFT_CONFIG`), else
//! `$WEFT_HOME/weft.toml` when that exists. A key at the top sets the flag of that name for
//! every command that has it; a table named after a command (`[standalone]`, `[dags]`,
//! `[dags.trigger]`) sets flags of that command and the commands under it, and beats the
//! top. A name that stands for different flags in different commands (`output` is a format
//! for most commands but a file for `build`) must be set in a command's table.
//!
//! ```toml
//! server = "http://weft.internal:8080"
//!
//! [standalone]
//! port = 9090
//!
//! [dags]
//! output = "json"
//! ```
//!
//! Unknown keys, values a flag does not accept and malformed TOML are errors that name the
//! file, the line and the key.

mod apply;

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use clap::{Arg, Command, Parser};
use toml::de::{DeTable, DeValue};

use crate::exit::Failure;
use crate::home;

/// Name of the config file looked for in the home directory.
pub const FILE_NAME: &str = "weft.toml";
/// Environment variable naming the config file.
pub const CONFIG_ENV: &str = "WEFT_CONFIG";
/// Id and long name of the flag naming the config file.
const CONFIG_FLAG: &str = "config";

/// Why the config file could not be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file could not be read.
    #[error("cannot read the config file {}: {source}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// What the system said.
        source: std::io::Error,
    },
    /// The file is not valid TOML.
    #[error("config file {}, line {line}, column {column}: {problem}", path.display())]
    Syntax {
        /// The file.
        path: PathBuf,
        /// Line of the problem, from 1.
        line: usize,
        /// Column of the problem, from 1.
        column: usize,
        /// What is wrong.
        problem: String,
    },
    /// A key names no flag and no command.
    #[error("config file {}, line {line}: unknown key `{key}` ({hint})", path.display())]
    UnknownKey {
        /// The file.
        path: PathBuf,
        /// Line of the key, from 1.
        line: usize,
        /// The key, with the tables it is in (`dags.trigger.wiat`).
        key: String,
        /// What would be known instead.
        hint: String,
    },
    /// A key's value is not one its flag accepts, or the key is ambiguous where it is.
    #[error("config file {}, line {line}: `{key}`: {problem}", path.display())]
    Invalid {
        /// The file.
        path: PathBuf,
        /// Line of the key, from 1.
        line: usize,
        /// The key, with the tables it is in.
        key: String,
        /// What is wrong.
        problem: String,
    },
}

impl From<ConfigError> for Failure {
    fn from(e: ConfigError) -> Failure {
        Failure::Usage(e.to_string())
    }
}

/// A parsed config file.
#[derive(Debug)]
pub struct ConfigFile {
    /// Where it was read from.
    pub path: PathBuf,
    root: Section,
}

/// The keys of one table: flag values and the tables of subcommands.
#[derive(Debug, Default)]
struct Section {
    settings: Vec<Setting>,
    tables: Vec<(String, usize, Section)>,
}

/// One flag's value, as written.
#[derive(Debug)]
struct Setting {
    key: String,
    line: usize,
    value: Value,
}

/// A flag value: a boolean, one value, or a list of values.
#[derive(Debug, Clone, PartialEq)]
enum Value {
    Bool(bool),
    One(String),
    List(Vec<String>),
}

impl Section {
    fn table(&self, name: &str) -> Option<&Section> {
        self.tables
            .iter()
            .find(|(n, _, _)| n == name)
            .map(|(_, _, s)| s)
    }
}

impl ConfigFile {
    /// Read and parse the file at `path`.
    pub fn read(path: &Path) -> Result<ConfigFile, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_owned(),
            source,
        })?;
        ConfigFile::parse(path, &text)
    }

    /// Parse `text`, read from `path`.
    pub fn parse(path: &Path, text: &str) -> Result<ConfigFile, ConfigError> {
        let table = DeTable::parse(text).map_err(|e| {
            let (line, column) = position(text, e.span().map_or(0, |s| s.start));
            ConfigError::Syntax {
                path: path.to_owned(),
                line,
                column,
                problem: e.message().trim().to_owned(),
            }
        })?;
        let root = section(path, text, table.get_ref(), "")?;
        Ok(ConfigFile {
            path: path.to_owned(),
            root,
        })
    }
}

fn section(
    path: &Path,
    text: &str,
    table: &DeTable<'_>,
    prefix: &str,
) -> Result<Section, ConfigError> {
    let mut out = Section::default();
    for (key, value) in table {
        let name = key.get_ref().to_string();
        let line = position(text, key.span().start).0;
        let full = format!("{prefix}{name}");
        let invalid = |problem: &str| ConfigError::Invalid {
            path: path.to_owned(),
            line,
            key: full.clone(),
            problem: problem.to_owned(),
        };
        let value = match value.get_ref() {
            DeValue::Table(inner) => {
                let inner = section(path, text, inner, &format!("{full}."))?;
                out.tables.push((name, line, inner));
                continue;
            }
            DeValue::Boolean(b) => Value::Bool(*b),
            DeValue::Array(items) => {
                let mut values = Vec::new();
                for item in items {
                    let scalar = scalar(item.get_ref()).ok_or_else(|| {
                        invalid("a list may hold only strings, numbers and dates")
                    })?;
                    values.push(scalar);
                }
                Value::List(values)
            }
            other => Value::One(scalar(other).ok_or_else(|| invalid("not a flag value"))?),
        };
        out.settings.push(Setting {
            key: name,
            line,
            value,
        });
    }
    Ok(out)
}

/// A scalar's text as a flag value; none for tables and arrays.
fn scalar(value: &DeValue<'_>) -> Option<String> {
    match value {
        DeValue::String(s) => Some(s.to_string()),
        DeValue::Integer(i) => Some(
            i128::from_str_radix(i.as_str(), i.radix())
                .map_or_else(|_| i.as_str().to_owned(), |n| n.to_string()),
        ),
        DeValue::Float(f) => Some(f.as_str().to_owned()),
        DeValue::Boolean(b) => Some(b.to_string()),
        DeValue::Datetime(d) => Some(d.to_string()),
        DeValue::Array(_) | DeValue::Table(_) => None,
    }
}

/// Line and column (from 1) of byte `offset` in `text`.
fn position(text: &str, offset: usize) -> (usize, usize) {
    let before = text.get(..offset.min(text.len())).unwrap_or(text);
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, column)
}

/// The config file to use: `--config PATH` in `args`, else `WEFT_CONFIG`, else
/// `$WEFT_HOME/weft.toml` when it exists.
pub fn locate(args: &[OsString]) -> Option<PathBuf> {
    if let Some(path) = flag_value(args) {
        return Some(path);
    }
    if let Some(path) = std::env::var_os(CONFIG_ENV).filter(|p| !p.is_empty()) {
        return Some(PathBuf::from(path));
    }
    let default = home::dir().join(FILE_NAME);
    default.is_file().then_some(default)
}

/// The value of the last `--config PATH` or `--config=PATH` before any `--`.
fn flag_value(args: &[OsString]) -> Option<PathBuf> {
    let long = format!("--{CONFIG_FLAG}");
    let with_equals = format!("{long}=");
    let mut found = None;
    let mut rest = args.iter().skip(1);
    while let Some(arg) = rest.next() {
        let text = arg.to_string_lossy();
        if text == "--" {
            break;
        }
        if text == long {
            found = rest.next().map(PathBuf::from);
        } else if let Some(path) = text.strip_prefix(&with_equals) {
            found = Some(PathBuf::from(path));
        }
    }
    found
}

/// `command` with the `--config PATH` flag that names the config file.
pub fn with_config_flag(command: Command) -> Command {
    command.arg(
        Arg::new(CONFIG_FLAG)
            .long(CONFIG_FLAG)
            .env(CONFIG_ENV)
            .value_name("PATH")
            .value_parser(clap::value_parser!(PathBuf))
            .global(true)
            .help(format!(
                "Configuration file (default: $WEFT_HOME/{FILE_NAME} when it exists)"
            )),
    )
}

/// `command` (built) with the file's values as its flags' defaults.
pub fn apply(command: Command, file: &ConfigFile) -> Result<Command, ConfigError> {
    apply::apply(command, file)
}

/// Parse the process's command line as `P`, with the config file's values as defaults.
/// Bad flags, `--help` and `--version` end the process as clap does.
pub fn parse<P: Parser>() -> Result<P, ConfigError> {
    parse_from(std::env::args_os())
}

/// Parse `args` (the program name first) as `P`, with the config file's values as defaults.
pub fn parse_from<P, I, T>(args: I) -> Result<P, ConfigError>
where
    P: Parser,
    I: IntoIterator<Item = T>,
    T: Into<OsString>,
{
    let args: Vec<OsString> = args.into_iter().map(Into::into).collect();
    let mut command = with_config_flag(P::command());
    if let Some(path) = locate(&args) {
        command = apply(command, &ConfigFile::read(&path)?)?;
    }
    let matches = command
        .try_get_matches_from(args)
        .unwrap_or_else(|e| e.exit());
    Ok(P::from_arg_matches(&matches).unwrap_or_else(|e| e.exit()))
}

#[cfg(test)]
mod tests;
