//! `wfctl new NAME --lang python|ts|rust`: a DAG project that builds, tests and deploys out of the
//! box, outside Weft's repository (as `spin new` makes a Spin app).

use std::path::{Path, PathBuf};

use clap::{Args as ClapArgs, ValueEnum};

use crate::exit::{CommandResult, Failure};
use crate::sdk_files;

/// Make a new DAG project in directory NAME: a DAG `hello >> call_api` (greet, then call an
/// HTTP API through a connection), its tests, and a copy of this wfctl's SDK, so that it builds
/// with `wfctl build` wherever it is.
#[derive(Debug, ClapArgs)]
pub struct Args {
    /// The project's name: its directory and, with `-` as `_`, its DAG id.
    name: String,
    /// The language of the DAG.
    #[arg(long, value_enum, default_value = "python")]
    lang: Lang,
    /// The directory to make the project in.
    #[arg(long, value_name = "DIR", default_value = ".")]
    dir: PathBuf,
}

/// The languages `wfctl new` scaffolds.
#[derive(Debug, Clone, Copy, ValueEnum)]
enum Lang {
    Rust,
    Python,
    /// TypeScript (JavaScript works too).
    Ts,
}

/// A template's files, as (path in the project, text with `{{name}}`, `{{dag_id}}` and
/// `{{module}}` to fill in).
type Template = &'static [(&'static str, &'static str)];

const PYTHON: Template = &[
    ("app.py", include_str!("../../templates/python/app.py")),
    (
        "tests/test_app.py",
        include_str!("../../templates/python/tests/test_app.py"),
    ),
    (
        "pyproject.toml",
        include_str!("../../templates/python/pyproject.toml"),
    ),
    (
        "README.md",
        include_str!("../../templates/python/README.md"),
    ),
    (
        ".gitignore",
        include_str!("../../templates/python/gitignore"),
    ),
];

const TS: Template = &[
    ("src/app.ts", include_str!("../../templates/ts/src/app.ts")),
    (
        "package.json",
        include_str!("../../templates/ts/package.json"),
    ),
    (
        "tsconfig.json",
        include_str!("../../templates/ts/tsconfig.json"),
    ),
    ("README.md", include_str!("../../templates/ts/README.md")),
    (".gitignore", include_str!("../../templates/ts/gitignore")),
];

const RUST: Template = &[
    (
        "Cargo.toml",
        include_str!("../../templates/rust/Cargo.toml"),
    ),
    (
        "src/lib.rs",
        include_str!("../../templates/rust/src/lib.rs"),
    ),
    ("README.md", include_str!("../../templates/rust/README.md")),
    (".gitignore", include_str!("../../templates/rust/gitignore")),
];

/// Run the subcommand.
pub fn run(args: Args) -> CommandResult {
    check_name(&args.name)?;
    let project = args.dir.join(&args.name);
    if project.exists() && std::fs::read_dir(&project).map_or(true, |mut d| d.next().is_some()) {
        return Err(Failure::usage(format!(
            "{} exists and is not empty: choose another name or --dir",
            project.display()
        )));
    }
    let write = |files: &[(&str, &str)], under: &Path| {
        sdk_files::write_all(&project.join(under), files)
            .map_err(|e| Failure::usage(format!("cannot write {}: {e}", project.display())))
    };
    let filled = fill(
        match args.lang {
            Lang::Python => PYTHON,
            Lang::Ts => TS,
            Lang::Rust => RUST,
        },
        &args.name,
    );
    let filled: Vec<(&str, &str)> = filled.iter().map(|(p, t)| (*p, t.as_str())).collect();
    write(&filled, Path::new(""))?;
    match args.lang {
        Lang::Python => write(sdk_files::PYTHON_SDK_FILES, Path::new(".weft/python"))?,
        // The project's tsconfig.json maps `@weft/sdk` to these sources.
        Lang::Ts => write(sdk_files::JS_SDK_FILES, Path::new(".weft/js"))?,
        Lang::Rust => {
            write(sdk_files::RUST_SDK_FILES, Path::new(".weft/sdk/rust"))?;
            write(
                &[("Cargo.toml", sdk_files::RUST_SDK_MANIFEST)],
                Path::new(".weft/sdk/rust"),
            )?;
            // The SDK's bindings read the world at `../../wit`, from its own directory.
            write(weft_runtime::WIT_FILES, Path::new(".weft/wit"))?;
        }
    }
    eprintln!(
        "made {} ({:?}): `wfctl build {0}` builds it, `wfctl test {0}` runs it; see its README.md",
        project.display(),
        args.lang
    );
    println!("{}", project.display());
    Ok(())
}

/// A project name: a directory name and, with `-` as `_`, a DAG id and module name.
fn check_name(name: &str) -> Result<(), Failure> {
    let valid = !name.is_empty()
        && name.len() <= 64
        && name.starts_with(|c: char| c.is_ascii_alphabetic())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    if valid {
        Ok(())
    } else {
        Err(Failure::usage(format!(
            "`{name}` is not a project name: 1 to 64 letters, digits, `_` or `-`, starting with a letter"
        )))
    }
}

/// The template's files with the project's names filled in.
fn fill(template: Template, name: &str) -> Vec<(&'static str, String)> {
    let module = name.replace('-', "_");
    template
        .iter()
        .map(|(path, text)| {
            let text = text
                .replace("{{name}}", name)
                .replace("{{dag_id}}", &module)
                .replace("{{module}}", &module);
            (*path, text)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_checked() {
        for good in ["a", "my-dag", "etl_2"] {
            assert!(check_name(good).is_ok(), "{good}");
        }
        for bad in ["", "2fast", "../x", "a b", "a/b", &"x".repeat(65)] {
            assert!(check_name(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn templates_are_filled_everywhere() {
        for template in [PYTHON, TS, RUST] {
            for (path, text) in fill(template, "my-dag") {
                assert!(!text.contains("{{"), "{path} still holds a placeholder");
            }
        }
        let app = fill(PYTHON, "my-dag");
        assert!(app[0].1.contains("Dag(\n    \"my_dag\""), "{}", app[0].1);
    }
}
