//! Host backtraces never reach a task. The standard library reads `RUST_BACKTRACE` once per
//! process, so a test that shows it runs itself again in a child process that has it (and
//! `WASMTIME_BACKTRACE_DETAILS`) set, and there checks what the task was given.

/// Set in the child process that [`rerun_with_backtraces`] starts.
const CHILD: &str = "WEFT_TEST_BACKTRACE_CHILD";

/// Whether this process is the child that [`rerun_with_backtraces`] started.
pub fn in_child() -> bool {
    std::env::var_os(CHILD).is_some()
}

/// Runs `test` of module `module` (its `module_path!()`) again in a child process with host
/// backtraces turned on, and fails if it fails there.
pub fn rerun_with_backtraces(module: &str, test: &str) {
    // The test's name as the harness knows it: its module path without the binary's name.
    let name = match module.split_once("::") {
        Some((_, path)) => format!("{path}::{test}"),
        None => test.to_owned(),
    };
    let out = std::process::Command::new(std::env::current_exe().expect("test binary"))
        .args(["--exact", &name, "--nocapture", "--test-threads=1"])
        .env(CHILD, "1")
        .env("RUST_BACKTRACE", "1")
        .env("WASMTIME_BACKTRACE_DETAILS", "1")
        .output()
        .expect("child test");
    let text = String::from_utf8_lossy(&out.stdout) + String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{text}");
    assert!(text.contains("1 passed"), "the child ran no test: {text}");
}

/// Fails if `shown` holds anything of the host's: a captured backtrace, the paths of the
/// host's crates, its toolchain or dependencies, or the source line of a frame.
pub fn assert_nothing_of_the_host(shown: &str) {
    let leaks = [
        "stack backtrace",
        "Stack backtrace",
        "crates/runtime/",
        "crates/worker/",
        ".cargo/registry",
        "/rustc/",
        "\n        at ",
        "                    at ",
    ];
    for leak in leaks {
        assert!(!shown.contains(leak), "{leak:?} in {shown}");
    }
}
