//! A Python project's declared dependencies: its `requirements.txt` and the `dependencies`
//! of its `pyproject.toml`'s `[project]` table.

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use sha2::{Digest as _, Sha256};

use crate::exit::Failure;

/// pip's requirements file, at the project's top.
const REQUIREMENTS: &str = "requirements.txt";
/// The project's metadata (PEP 621), at the project's top.
const PYPROJECT: &str = "pyproject.toml";
/// Distribution names of the SDK, which wfctl bundles itself, pinned to its own version.
const BUNDLED: &[&str] = &["weft", "weft-sdk"];

/// What a project declares it needs from PyPI.
#[derive(Debug)]
pub(super) struct Declared {
    /// `requirements.txt`'s path and text, if the project has one.
    requirements: Option<(PathBuf, String)>,
    /// The requirement strings of `[project] dependencies`.
    pyproject: Vec<String>,
}

impl Declared {
    /// The declarations of the project in `dir`; `None` when it declares nothing.
    pub(super) fn read(dir: &Path) -> Result<Option<Declared>, Failure> {
        let requirements = read_requirements(&dir.join(REQUIREMENTS))?;
        let pyproject = read_pyproject(&dir.join(PYPROJECT))?;
        if requirements.is_none() && pyproject.is_empty() {
            return Ok(None);
        }
        Ok(Some(Declared {
            requirements,
            pyproject,
        }))
    }

    /// A name for these declarations, the same as long as neither list changes: the hex
    /// SHA-256 of `format` (what else the result depends on) and both lists.
    pub(super) fn key(&self, format: &str) -> String {
        let mut hash = Sha256::new();
        let mut field = |text: &str| {
            // Lengths first: no two different lists hash the same text.
            hash.update(text.len().to_le_bytes());
            hash.update(text.as_bytes());
        };
        field(format);
        field(self.requirements.as_ref().map_or("", |(_, text)| text));
        field(if self.requirements.is_some() {
            "file"
        } else {
            "none"
        });
        for requirement in &self.pyproject {
            field(requirement);
        }
        hex::encode(hash.finalize())
    }

    /// The arguments that name these declarations to `pip install`.
    pub(super) fn pip_args(&self) -> Vec<OsString> {
        let mut args = Vec::new();
        if let Some((path, _)) = &self.requirements {
            args.push("-r".into());
            args.push(path.into());
        }
        args.extend(self.pyproject.iter().map(OsString::from));
        args
    }
}

/// The text of `requirements.txt` at `path`, if there is one, checked for the SDK.
fn read_requirements(path: &Path) -> Result<Option<(PathBuf, String)>, Failure> {
    if !path.exists() {
        return Ok(None);
    }
    let text = std::fs::read_to_string(path)
        .map_err(|e| Failure::usage(format!("cannot read {}: {e}", path.display())))?;
    for line in requirement_lines(&text) {
        refuse_bundled(path, &line)?;
    }
    Ok(Some((path.to_owned(), text)))
}

/// The `[project] dependencies` of the `pyproject.toml` at `path` (none without the file,
/// the table or the field), checked for the SDK.
fn read_pyproject(path: &Path) -> Result<Vec<String>, Failure> {
    if !path.exists() {
        return Ok(Vec::new());
    }
    let text = std::fs::read_to_string(path)
        .map_err(|e| Failure::usage(format!("cannot read {}: {e}", path.display())))?;
    let document: toml::Table = toml::from_str(&text)
        .map_err(|e| Failure::usage(format!("{} is not valid TOML: {e}", path.display())))?;
    let not_a_list = || {
        Failure::usage(format!(
            "{}: `dependencies` of table [project] must be a list of strings (PEP 621)",
            path.display()
        ))
    };
    let dependencies = match document.get("project") {
        None => return Ok(Vec::new()),
        Some(toml::Value::Table(project)) => match project.get("dependencies") {
            None => return Ok(Vec::new()),
            Some(toml::Value::Array(list)) => list,
            Some(_) => return Err(not_a_list()),
        },
        Some(_) => {
            return Err(Failure::usage(format!(
                "{}: `project` must be a table ([project])",
                path.display()
            )));
        }
    };
    let mut requirements = Vec::with_capacity(dependencies.len());
    for value in dependencies {
        let requirement = value.as_str().ok_or_else(not_a_list)?;
        refuse_bundled(path, requirement)?;
        requirements.push(requirement.to_owned());
    }
    Ok(requirements)
}

/// The requirement lines of a requirements file's `text`: continuation lines joined,
/// comments, blank lines and options (`-r`, `--find-links`, ...) left out.
fn requirement_lines(text: &str) -> Vec<String> {
    let mut lines = Vec::new();
    let mut current = String::new();
    for raw in text.lines() {
        if let Some(start) = raw.strip_suffix('\\') {
            current.push_str(start);
            continue;
        }
        current.push_str(raw);
        let line = strip_comment(&current).trim();
        if !line.is_empty() && !line.starts_with('-') {
            lines.push(line.to_owned());
        }
        current.clear();
    }
    lines
}

/// `line` without its comment: from a `#` that starts it or follows whitespace.
fn strip_comment(line: &str) -> &str {
    let mut previous = ' ';
    for (at, c) in line.char_indices() {
        if c == '#' && previous.is_whitespace() {
            return &line[..at];
        }
        previous = c;
    }
    line
}

/// Refuse `requirement` (declared in `file`) when it names the SDK.
fn refuse_bundled(file: &Path, requirement: &str) -> Result<(), Failure> {
    match requirement_name(requirement) {
        Some(name) if BUNDLED.contains(&name.as_str()) => Err(Failure::usage(format!(
            "{}: `{}` asks for the weft SDK, which wfctl build bundles itself (the SDK of this \
             wfctl); remove it from the dependencies",
            file.display(),
            requirement.trim()
        ))),
        _ => Ok(()),
    }
}

/// The distribution name a PEP 508 requirement starts with, normalized (PEP 503: lower
/// case, runs of `-`, `_` and `.` as one `-`); `None` when it starts with no name (a path
/// or a URL).
fn requirement_name(requirement: &str) -> Option<String> {
    let name: String = requirement
        .trim_start()
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        .collect();
    let name = name.trim_end_matches(['-', '_', '.']);
    if name.is_empty() {
        return None;
    }
    let mut normalized = String::with_capacity(name.len());
    for c in name.chars() {
        if matches!(c, '-' | '_' | '.') {
            if !normalized.ends_with('-') {
                normalized.push('-');
            }
        } else {
            normalized.push(c.to_ascii_lowercase());
        }
    }
    Some(normalized)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_normalized() {
        assert_eq!(requirement_name("Weft_SDK>=1.0"), Some("weft-sdk".into()));
        assert_eq!(
            requirement_name("weft [http] ; python_version > '3'"),
            Some("weft".into())
        );
        assert_eq!(requirement_name("weft.whl"), Some("weft-whl".into()));
        assert_eq!(requirement_name("./weft-1.0-py3-none-any.whl"), None);
    }

    #[test]
    fn requirement_lines_skip_options_and_comments() {
        let text =
            "--no-index\n# a comment\n\npurelib==1.0  # pinned\nother \\\n  >=2\n-r more.txt\n";
        assert_eq!(requirement_lines(text), ["purelib==1.0", "other   >=2"]);
    }

    #[test]
    fn the_sdk_is_refused_in_either_file() {
        let dir = tempfile::tempdir().expect("a temporary directory");
        std::fs::write(dir.path().join(REQUIREMENTS), "purelib\nWeft>=0.1\n").expect("write");
        let Err(Failure::Usage(message)) = Declared::read(dir.path()) else {
            panic!("weft in requirements.txt is refused");
        };
        assert!(
            message.contains("requirements.txt") && message.contains("bundles"),
            "{message}"
        );

        std::fs::remove_file(dir.path().join(REQUIREMENTS)).expect("remove");
        std::fs::write(
            dir.path().join(PYPROJECT),
            "[project]\nname = \"x\"\ndependencies = [\"weft-sdk\"]\n",
        )
        .expect("write");
        let Err(Failure::Usage(message)) = Declared::read(dir.path()) else {
            panic!("weft-sdk in pyproject.toml is refused");
        };
        assert!(message.contains("pyproject.toml"), "{message}");
    }

    #[test]
    fn pyproject_dependencies_must_be_strings() {
        let dir = tempfile::tempdir().expect("a temporary directory");
        std::fs::write(
            dir.path().join(PYPROJECT),
            "[project]\ndependencies = \"purelib\"\n",
        )
        .expect("write");
        let Err(Failure::Usage(message)) = Declared::read(dir.path()) else {
            panic!("a string is not a list");
        };
        assert!(
            message.contains("dependencies") && message.contains("list of strings"),
            "{message}"
        );
        std::fs::write(dir.path().join(PYPROJECT), "[project]\nname = \"x\"\n").expect("write");
        assert!(matches!(Declared::read(dir.path()), Ok(None)));
    }

    #[test]
    fn the_key_changes_with_either_list() {
        let declared = |requirements: Option<&str>, pyproject: &[&str]| Declared {
            requirements: requirements.map(|t| (PathBuf::from(REQUIREMENTS), t.to_owned())),
            pyproject: pyproject.iter().map(|s| (*s).to_owned()).collect(),
        };
        let base = declared(Some("a\n"), &["b"]).key("1");
        assert_eq!(base, declared(Some("a\n"), &["b"]).key("1"));
        assert_ne!(base, declared(Some("a\n"), &["b"]).key("2"));
        assert_ne!(base, declared(Some("a\nb"), &[]).key("1"));
        assert_ne!(base, declared(None, &["a\n", "b"]).key("1"));
        assert_ne!(base, declared(Some("a\n"), &["b", "c"]).key("1"));
    }
}
