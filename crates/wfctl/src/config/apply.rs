//! Setting the flags' defaults of a built clap command from a config file, after checking
//! every key: it must name a flag of the command it is under (or of one below it), stand for
//! one kind of flag there, and hold a value that flag accepts.

use std::collections::BTreeMap;

use clap::error::{ContextKind, ContextValue, ErrorKind};
use clap::{Arg, ArgAction, Command};

use super::{CONFIG_FLAG, ConfigError, ConfigFile, Section, Value};

/// Build `command`, check `file` against it, and set the file's values as defaults.
pub(super) fn apply(mut command: Command, file: &ConfigFile) -> Result<Command, ConfigError> {
    command.build();
    check(&command, &file.root, &mut Vec::new(), file)?;
    Ok(walk(command, &BTreeMap::new(), Some(&file.root)))
}

/// A flag found under a command: the command's path (`wfctl dags list`), the command, the flag.
type Found<'a> = (String, &'a Command, &'a Arg);

/// Check the keys of `section`, the table of the command at `tables` (names from the root).
fn check(
    command: &Command,
    section: &Section,
    tables: &mut Vec<String>,
    file: &ConfigFile,
) -> Result<(), ConfigError> {
    let here = command_path(tables);
    for setting in &section.settings {
        let key = dotted(tables, &setting.key);
        let invalid = |problem: String| ConfigError::Invalid {
            path: file.path.clone(),
            line: setting.line,
            key: key.clone(),
            problem,
        };
        let mut found = Vec::new();
        flags(command, &setting.key, here.clone(), &mut found);
        if found.is_empty() {
            return Err(ConfigError::UnknownKey {
                path: file.path.clone(),
                line: setting.line,
                key: key.clone(),
                hint: unknown_hint(command, &here, &setting.key),
            });
        }
        let kinds = kinds(&found);
        if kinds.len() > 1 {
            let named: Vec<String> = kinds
                .iter()
                .map(|(path, _, _)| format!("`{path} --{}`", setting.key))
                .collect();
            let table = kinds
                .iter()
                .map(|(path, _, _)| path.trim_start_matches("wfctl").trim().replace(' ', "."))
                .find(|table| !table.is_empty())
                .map_or_else(String::new, |table| format!(", like [{table}]"));
            return Err(invalid(format!(
                "stands for different flags in different commands ({}); set it in a command's table instead{table}",
                named.join(", ")
            )));
        }
        for (path, command, arg) in &found {
            let values = values_for(arg, &setting.value).map_err(&invalid)?;
            probe(command, arg, &values)
                .map_err(|problem| invalid(format!("{path}: {problem}")))?;
        }
    }
    for (name, line, inner) in &section.tables {
        let Some(sub) = command.find_subcommand(name) else {
            return Err(ConfigError::UnknownKey {
                path: file.path.clone(),
                line: *line,
                key: dotted(tables, name),
                hint: format!("`{here} {name}` is not a command, and a table names one"),
            });
        };
        tables.push(name.clone());
        check(sub, inner, tables, file)?;
        tables.pop();
    }
    Ok(())
}

/// Every flag named `long` that a config file may set, in `command` and below it.
fn flags<'a>(command: &'a Command, long: &str, path: String, out: &mut Vec<Found<'a>>) {
    for arg in command.get_arguments() {
        if settable(arg) && arg.get_long() == Some(long) {
            out.push((path.clone(), command, arg));
        }
    }
    for sub in command.get_subcommands() {
        flags(sub, long, format!("{path} {}", sub.get_name()), out);
    }
}

/// The first flag found of each kind (value type), in the order found.
fn kinds<'a, 'b>(found: &'b [Found<'a>]) -> Vec<&'b Found<'a>> {
    let mut kinds: Vec<&Found<'a>> = Vec::new();
    for f in found {
        let kind = f.2.get_value_parser().type_id();
        if !kinds
            .iter()
            .any(|k| k.2.get_value_parser().type_id() == kind)
        {
            kinds.push(f);
        }
    }
    kinds
}

/// Whether a config file may set `arg`: a flag with a long name, other than `--help`,
/// `--version` and `--config`.
fn settable(arg: &Arg) -> bool {
    let id = arg.get_id().as_str();
    arg.get_long().is_some()
        && !arg.is_positional()
        && !["help", "version", CONFIG_FLAG].contains(&id)
}

/// What to say about unknown key `key` under the command at `here`.
fn unknown_hint(command: &Command, here: &str, key: &str) -> String {
    let dashed = key.replace('_', "-");
    let mut found = Vec::new();
    if dashed != key {
        flags(command, &dashed, here.to_owned(), &mut found);
        if !found.is_empty() {
            return format!("did you mean `{dashed}`? keys are spelled like the flags");
        }
    }
    if command.find_subcommand(key).is_some() {
        return format!("`{here} {key}` is a command: its settings go in a table, [{key}]");
    }
    format!("no command under `{here}` has a --{key} flag")
}

/// The values a flag gets for `value`, or why it cannot take it.
fn values_for(arg: &Arg, value: &Value) -> Result<Vec<String>, String> {
    let action = arg.get_action();
    match (action, value) {
        (ArgAction::SetTrue, Value::Bool(b)) => Ok(vec![b.to_string()]),
        (ArgAction::SetFalse, Value::Bool(b)) => Ok(vec![(!b).to_string()]),
        (ArgAction::SetTrue | ArgAction::SetFalse, _) => Err("expects true or false".into()),
        _ if !action.takes_values() => Err("cannot be set in a config file".into()),
        (_, Value::Bool(b)) => Ok(vec![b.to_string()]),
        (_, Value::One(one)) => Ok(vec![one.clone()]),
        (_, Value::List(items)) if takes_many(arg) => Ok(items.clone()),
        (_, Value::List(_)) => Err("takes one value, not a list".into()),
    }
}

fn takes_many(arg: &Arg) -> bool {
    matches!(arg.get_action(), ArgAction::Append)
        || arg.get_num_args().is_some_and(|n| n.max_values() > 1)
}

/// Whether `command` accepts `values` for `arg`: they are parsed as if given on its command
/// line; a value the flag refuses gives clap's reason.
fn probe(command: &Command, arg: &Arg, values: &[String]) -> Result<(), String> {
    let (Some(long), true) = (arg.get_long(), arg.get_action().takes_values()) else {
        return Ok(());
    };
    let mut argv = vec![command.get_name().to_owned()];
    argv.extend(values.iter().map(|v| format!("--{long}={v}")));
    let Err(e) = command.clone().try_get_matches_from(argv) else {
        return Ok(());
    };
    let about_this_flag = match e.get(ContextKind::InvalidArg) {
        Some(ContextValue::String(name)) => name.starts_with(&format!("--{long}")),
        _ => true,
    };
    let bad_value = matches!(
        e.kind(),
        ErrorKind::InvalidValue | ErrorKind::ValueValidation | ErrorKind::InvalidUtf8
    );
    if !(bad_value && about_this_flag) {
        return Ok(());
    }
    let text = e.to_string();
    let first = text.lines().next().unwrap_or_default();
    Err(first.trim_start_matches("error: ").to_owned())
}

/// Set the defaults of `command` and the commands below it: `inherited` from the tables
/// above, overridden by `section`, this command's table.
fn walk(
    command: Command,
    inherited: &BTreeMap<String, Value>,
    section: Option<&Section>,
) -> Command {
    let mut effective = inherited.clone();
    for setting in section.iter().flat_map(|s| &s.settings) {
        effective.insert(setting.key.clone(), setting.value.clone());
    }
    let mut command = if effective.is_empty() {
        command
    } else {
        command.mut_args(|arg| set_default(arg, &effective))
    };
    for sub in command.get_subcommands_mut() {
        let name = sub.get_name().to_owned();
        let taken = std::mem::replace(sub, Command::new(name.clone()));
        *sub = walk(taken, &effective, section.and_then(|s| s.table(&name)));
    }
    command
}

fn set_default(arg: Arg, effective: &BTreeMap<String, Value>) -> Arg {
    if !settable(&arg) {
        return arg;
    }
    let Some(value) = arg.get_long().and_then(|long| effective.get(long)) else {
        return arg;
    };
    match values_for(&arg, value) {
        // A value from the file makes a required flag optional.
        Ok(values) => arg.default_values(values).required(false),
        // Checked before: unreachable for a file that passed `check`.
        Err(_) => arg,
    }
}

/// `wfctl` and the names of `tables`, as a command line.
fn command_path(tables: &[String]) -> String {
    std::iter::once("wfctl")
        .chain(tables.iter().map(String::as_str))
        .collect::<Vec<_>>()
        .join(" ")
}

/// `key` under `tables`, dotted (`dags.trigger.wait`).
fn dotted(tables: &[String], key: &str) -> String {
    tables
        .iter()
        .map(String::as_str)
        .chain([key])
        .collect::<Vec<_>>()
        .join(".")
}
