//! `wfctl build` of Python projects with dependencies: pure-Python wheels from a local
//! wheelhouse are bundled with the SDK and cached; native wheels, the SDK itself and a bad
//! `pyproject.toml` are refused. No network: pip only reads the wheelhouse.

use crate::common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::{wfctl, wfctl_env};
use serde_json::json;

/// A DAG on the SDK whose one task needs the `purelib` dependency.
const APP: &str = r#"from weft import Dag, Context
import purelib

dag = Dag("deps_demo")

@dag.task
def answer(ctx: Context) -> dict:
    return {"answer": purelib.ANSWER}
"#;

/// Writes the wheel named by argv[2] (NAME-1.0-TAG.whl) into directory argv[1].
const MAKE_WHEEL: &str = r#"
import sys, zipfile
wheelhouse, file = sys.argv[1], sys.argv[2]
name, version, tag = file[: -len(".whl")].split("-", 2)
info = f"{name}-{version}.dist-info"
with zipfile.ZipFile(f"{wheelhouse}/{file}", "w") as wheel:
    wheel.writestr(f"{name}/__init__.py", "ANSWER = 42\n")
    wheel.writestr(f"{info}/METADATA", f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n")
    wheel.writestr(
        f"{info}/WHEEL",
        f"Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\nTag: {tag}\n",
    )
    wheel.writestr(f"{info}/RECORD", "")
"#;

/// A fresh directory holding a pure wheel, `purelib`, and a native-only one, `fastlib`.
fn wheelhouse() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("a temporary wheelhouse");
    for wheel in [
        "purelib-1.0-py3-none-any.whl",
        "fastlib-1.0-cp314-cp314-manylinux_2_17_x86_64.whl",
    ] {
        let status = Command::new("python3")
            .args(["-c", MAKE_WHEEL])
            .arg(dir.path())
            .arg(wheel)
            .status()
            .expect("python3 runs");
        assert!(status.success(), "python3 wrote {wheel}");
    }
    dir
}

/// A project `deps_demo` in a fresh directory, with `app.py` and `files` (name, text).
fn project(files: &[(&str, &str)]) -> (tempfile::TempDir, PathBuf) {
    let root = tempfile::tempdir().expect("a temporary directory");
    let dir = root.path().join("deps_demo");
    std::fs::create_dir(&dir).expect("create the project");
    std::fs::write(dir.join("app.py"), APP).expect("write app.py");
    for (name, text) in files {
        let file = dir.join(name);
        if let Some(parent) = file.parent() {
            std::fs::create_dir_all(parent).expect("create a project directory");
        }
        std::fs::write(file, text).expect("write a project file");
    }
    (root, dir)
}

/// A requirements file that reads only `wheelhouse`, then asks for `requirements`.
fn offline_requirements(wheelhouse: &Path, requirements: &[&str]) -> String {
    let mut text = format!("--no-index\n--find-links {}\n", wheelhouse.display());
    for requirement in requirements {
        text.push_str(requirement);
        text.push('\n');
    }
    text
}

/// `wfctl build DIR` with `env`; the run.
fn build(dir: &Path, env: &[(&str, &Path)]) -> common::Run {
    wfctl_env(["build".as_ref(), dir.as_os_str()], env.iter().copied())
}

/// The output of the component's `answer` task, as `wfctl run --output json` reports it.
fn answer(built: &common::Run) -> serde_json::Value {
    assert_eq!(built.code, 0, "wfctl build: {built:?}");
    let component = built.stdout.lines().last().expect("the component's path");
    let run = wfctl(["run", component, "answer", "--output", "json"]);
    assert_eq!(run.code, 0, "wfctl run: {run:?}");
    run.json()["detail"]["output"].clone()
}

/// Whether the build's messages say pip ran.
fn ran_pip(built: &common::Run) -> bool {
    built.stderr.contains("with pip")
}

#[test]
fn requirements_bundle_pure_wheels_once() {
    let wheels = wheelhouse();
    let requirements = offline_requirements(wheels.path(), &["purelib"]);
    let (_root, dir) = project(&[("requirements.txt", &requirements)]);
    let first = build(&dir, &[]);
    assert!(ran_pip(&first), "{first:?}");
    assert_eq!(answer(&first), json!({"answer": 42}));

    // Unchanged declarations: the cached site serves, pip is not run and needs no wheelhouse.
    drop(wheels);
    let second = build(&dir, &[]);
    assert!(!ran_pip(&second), "{second:?}");
    assert_eq!(answer(&second), json!({"answer": 42}));
}

#[test]
fn pyproject_dependencies_are_bundled() {
    let wheels = wheelhouse();
    let pyproject =
        "[project]\nname = \"deps-demo\"\nversion = \"1.0\"\ndependencies = [\"purelib\"]\n";
    let (_root, dir) = project(&[("pyproject.toml", pyproject)]);
    // pip reads its options from the environment too: the wheelhouse, and no index.
    let built = build(
        &dir,
        &[
            ("PIP_NO_INDEX", Path::new("1")),
            ("PIP_FIND_LINKS", wheels.path()),
        ],
    );
    assert!(ran_pip(&built), "{built:?}");
    assert_eq!(answer(&built), json!({"answer": 42}));
}

/// `wfctl build` of a project with `files` fails; its stderr.
fn refused(files: &[(&str, &str)]) -> String {
    let (_root, dir) = project(files);
    let built = build(&dir, &[]);
    assert_ne!(built.code, 0, "{built:?}");
    assert!(
        !dir.join("target/deps_demo.wasm").exists(),
        "no component: {built:?}"
    );
    built.stderr
}

#[test]
fn unfit_dependencies_are_refused() {
    let wheels = wheelhouse();
    let native = offline_requirements(wheels.path(), &["fastlib"]);
    let stderr = refused(&[("requirements.txt", &native)]);
    assert!(
        stderr.contains("pure-Python wheels") && stderr.contains("fastlib"),
        "{stderr}"
    );

    let stderr = refused(&[("pyproject.toml", "[project\ndependencies = [")]);
    assert!(stderr.contains("pyproject.toml"), "{stderr}");
    let stderr = refused(&[("pyproject.toml", "[project]\ndependencies = [1]\n")]);
    assert!(
        stderr.contains("pyproject.toml") && stderr.contains("list of strings"),
        "{stderr}"
    );

    let sdk = offline_requirements(wheels.path(), &["purelib", "weft>=0.1"]);
    let stderr = refused(&[("requirements.txt", &sdk)]);
    assert!(
        stderr.contains("weft>=0.1") && stderr.contains("bundles"),
        "{stderr}"
    );

    // A module of the project's own named `weft` would hide the SDK.
    for own in ["weft.py", "weft/__init__.py"] {
        let stderr = refused(&[(own, "")]);
        assert!(
            stderr.contains("may not hold a module named `weft`"),
            "{own}: {stderr}"
        );
    }
}
