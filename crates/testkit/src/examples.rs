//! Where `wfctl build` leaves the repository's examples, for the tests and the benchmark that
//! reuse a build instead of running componentize-py or componentize-js again.

use std::path::{Path, PathBuf};

/// Where `wfctl build` writes the component of an interpreted project (Python: `app.py`;
/// TypeScript or JavaScript: `package.json`): `PROJECT/target/<directory name, - as _>.wasm`,
/// built or not. `None` for a Rust or C project, whose component is cargo's or make's.
#[must_use]
pub fn interpreted_component(project: &Path) -> Option<PathBuf> {
    let interpreted = project.join("app.py").is_file() || project.join("package.json").is_file();
    let name = project.file_name()?.to_string_lossy().replace('-', "_");
    interpreted.then(|| project.join("target").join(format!("{name}.wasm")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_interpreted_projects_have_their_component_in_their_target() {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let python = dir.path().join("hello-python");
        std::fs::create_dir_all(&python).expect("the project");
        std::fs::write(python.join("app.py"), "").expect("app.py");
        assert_eq!(
            interpreted_component(&python),
            Some(python.join("target/hello_python.wasm"))
        );
        let ts = dir.path().join("hello-ts");
        std::fs::create_dir_all(&ts).expect("the project");
        std::fs::write(ts.join("package.json"), "{}").expect("package.json");
        assert_eq!(
            interpreted_component(&ts),
            Some(ts.join("target/hello_ts.wasm"))
        );
        let rust = dir.path().join("hello");
        std::fs::create_dir_all(&rust).expect("the project");
        std::fs::write(rust.join("Cargo.toml"), "").expect("Cargo.toml");
        assert_eq!(interpreted_component(&rust), None);
    }
}
