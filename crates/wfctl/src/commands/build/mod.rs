//! `wfctl build DIR`: a DAG project into a component, then a check that it is a valid DAG.

mod c;
mod js;
mod python;
mod rust;

use std::path::{Path, PathBuf};

use clap::Args as ClapArgs;

use crate::exit::{CommandResult, Failure};
use crate::home;

/// Build the DAG project in DIR into a WebAssembly component: a Rust crate (for
/// wasm32-wasip2, release mode), a Python project (`app.py`, through componentize-py), a
/// TypeScript/JavaScript project (`package.json`, through esbuild and componentize-js) or a
/// C project (a `Makefile` that includes `target/weft/weft.mk`, through clang and wasi-libc).
/// The component is then loaded and its DAG validated. The component's path is the last
/// line of stdout.
#[derive(Debug, ClapArgs)]
pub struct Args {
    /// The project directory: holds `Cargo.toml` (Rust), `app.py` (Python), `package.json`
    /// (TypeScript or JavaScript) or a `Makefile` that includes `target/weft/weft.mk` (C).
    #[arg(default_value = ".")]
    dir: PathBuf,
    /// Where to write the component (default: the build's own output path).
    #[arg(short, long, value_name = "OUT")]
    output: Option<PathBuf>,
}

/// The kinds of project `wfctl build` knows.
enum Project {
    Rust,
    Python,
    JavaScript,
    C,
}

fn detect(dir: &Path) -> Result<Project, Failure> {
    if !dir.is_dir() {
        return Err(Failure::usage(format!(
            "{} is not a directory",
            dir.display()
        )));
    }
    if dir.join("Cargo.toml").is_file() {
        return Ok(Project::Rust);
    }
    if dir.join(python::ENTRY).is_file() {
        return Ok(Project::Python);
    }
    if dir.join(js::MANIFEST).is_file() {
        return Ok(Project::JavaScript);
    }
    if c::is_weft_makefile(dir) {
        return Ok(Project::C);
    }
    Err(Failure::usage(format!(
        "{} holds neither Cargo.toml (a Rust DAG crate) nor {} (a Python DAG) nor {} (a \
         TypeScript or JavaScript DAG) nor a {} that includes target/weft/weft.mk (a C DAG)",
        dir.display(),
        python::ENTRY,
        js::MANIFEST,
        c::MAKEFILE
    )))
}

/// Build the project in `dir`; the path of its component.
fn build(dir: &Path) -> Result<PathBuf, Failure> {
    match detect(dir)? {
        Project::Rust => rust::build(dir),
        Project::Python => python::build(dir),
        Project::JavaScript => js::build(dir),
        Project::C => c::build(dir),
    }
}

/// The component at `path`: the file itself, or, for a project directory, the component
/// built from it first (so that `wfctl test .` in a project builds and runs it).
pub fn component_at(path: &Path) -> Result<PathBuf, Failure> {
    if !path.is_dir() {
        return Ok(path.to_path_buf());
    }
    let built = build(path)?;
    eprintln!("built {}", built.display());
    Ok(built)
}

/// Run the subcommand.
pub fn run(args: Args) -> CommandResult {
    let built = build(&args.dir)?;
    let path = match &args.output {
        Some(out) => {
            if let Some(parent) = out.parent().filter(|p| !p.as_os_str().is_empty()) {
                std::fs::create_dir_all(parent).map_err(|e| {
                    Failure::usage(format!("cannot create {}: {e}", parent.display()))
                })?;
            }
            std::fs::copy(&built, out)
                .map_err(|e| Failure::usage(format!("cannot write {}: {e}", out.display())))?;
            out.clone()
        }
        None => built,
    };
    let runtime = home::runtime()?;
    let component = home::load(&runtime, &path)?;
    eprintln!(
        "built DAG {} ({} tasks, {} bytes, {})",
        component.dag().id(),
        component.dag().tasks().len(),
        component.size(),
        component.digest()
    );
    println!("{}", path.display());
    Ok(())
}

/// Where the build of an interpreted project (Python, TypeScript) writes.
struct Target {
    /// The project's directory, canonical.
    dir: PathBuf,
    /// The component's name: the directory's, `-` as `_`.
    name: String,
    /// `DIR/target/`, made.
    out_dir: PathBuf,
}

impl Target {
    /// The target of the project in `dir`.
    fn of(dir: &Path) -> Result<Target, Failure> {
        let dir = dir
            .canonicalize()
            .map_err(|e| Failure::usage(format!("cannot read {}: {e}", dir.display())))?;
        let name = dir.file_name().map_or_else(
            || "dag".to_owned(),
            |n| n.to_string_lossy().replace('-', "_"),
        );
        let out_dir = dir.join("target");
        std::fs::create_dir_all(&out_dir)
            .map_err(|e| Failure::usage(format!("cannot create {}: {e}", out_dir.display())))?;
        Ok(Target { dir, name, out_dir })
    }

    /// The component's path: `DIR/target/<name>.wasm`.
    fn component(&self) -> PathBuf {
        self.out_dir.join(format!("{}.wasm", self.name))
    }

    /// A temporary file beside the component for a tool to write it into, then
    /// [`publish`]ed.
    fn partial(&self) -> Result<tempfile::TempPath, Failure> {
        Ok(tempfile::Builder::new()
            .prefix(&format!(".{}-", self.name))
            .suffix(".wasm")
            .tempfile_in(&self.out_dir)
            .map_err(|e| {
                Failure::usage(format!("cannot write in {}: {e}", self.out_dir.display()))
            })?
            .into_temp_path())
    }
}

/// Write the WIT world into `dir`, for a tool that builds against it (the world travels inside
/// wfctl, so a project needs no copy of it); `dir`.
fn write_wit(dir: &Path) -> Result<PathBuf, Failure> {
    write_files(dir, weft_runtime::WIT_FILES, "the WIT world")
}

/// Write `files` (path, text) under `dir`, which a build tool then reads; `dir`. `what`
/// names them in errors.
fn write_files(dir: &Path, files: &[(&str, &str)], what: &str) -> Result<PathBuf, Failure> {
    crate::sdk_files::write_all(dir, files)
        .map_err(|e| Failure::usage(format!("cannot write {what} in {}: {e}", dir.display())))?;
    Ok(dir.to_owned())
}

/// Give the component built at `partial` its name `out` in one rename, so that a process
/// running the previous build never reads a half-written one; readable by all, as a build's
/// output is (a temporary file is made readable by its owner only).
fn publish(partial: tempfile::TempPath, out: &Path) -> Result<PathBuf, Failure> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::set_permissions(&partial, std::fs::Permissions::from_mode(0o644))
            .map_err(|e| Failure::usage(format!("cannot write {}: {e}", out.display())))?;
    }
    partial
        .persist(out)
        .map_err(|e| Failure::usage(format!("cannot write {}: {e}", out.display())))?;
    Ok(out.to_path_buf())
}

/// Run `command`, naming `tool` and how to install it when it is missing.
fn spawn(
    mut command: std::process::Command,
    tool: &str,
    install: &str,
) -> Result<std::process::Output, Failure> {
    command.stderr(std::process::Stdio::inherit());
    command.output().map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => {
            Failure::usage(format!("{tool} not found on PATH: {install}"))
        }
        _ => Failure::usage(format!("cannot run {tool}: {e}")),
    })
}
