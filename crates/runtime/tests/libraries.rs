//! A Python DAG's interpreter is compiled once per machine: the shared libraries a component
//! bundles are compiled on their own and shared, so a second Python DAG compiles only what is
//! its own. The two Python examples are the components; `scripts/test.sh` builds them first.

#[path = "support/files.rs"]
mod files;

use std::path::PathBuf;
use std::time::Duration;

use files::walk;
use weft_runtime::{
    CompileSource, DagComponent, Runtime, RuntimeConfig, SharedLibraries, TaskContext, TaskOutcome,
    TaskRequest, Tier,
};

/// The built component of example `dir`, `file` in its `target`.
fn example(dir: &str, file: &str) -> Vec<u8> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../examples")
        .join(dir)
        .join("target")
        .join(file);
    std::fs::read(&path).unwrap_or_else(|e| {
        panic!(
            "{}: {e}; build it first with `wfctl build examples/{dir}` (scripts/test.sh does)",
            path.display()
        )
    })
}

fn hello_bytes() -> Vec<u8> {
    example("hello-python", "hello_python.wasm")
}

fn mall_bytes() -> Vec<u8> {
    example("mall-customers-python", "mall_customers_python.wasm")
}

fn runtime(dir: &std::path::Path, baseline_min_bytes: Option<usize>) -> Runtime {
    Runtime::new(RuntimeConfig {
        cache_dir: Some(dir.to_path_buf()),
        baseline_min_bytes,
        ..RuntimeConfig::default()
    })
    .expect("runtime")
}

/// `hello_python`'s `t1` greets the name in the run's configuration.
fn greets(runtime: &Runtime, component: &DagComponent) {
    let mut context = TaskContext::local("hello_python", "t1", 1, 1);
    context.conf = r#"{"name": "shared"}"#.to_owned();
    let report = runtime.run_task(component, TaskRequest::local(context));
    let TaskOutcome::Success(output) = &report.outcome else {
        panic!("t1 failed: {report:?}");
    };
    let output: serde_json::Value = serde_json::from_slice(output).expect("t1's output is JSON");
    assert_eq!(output["greeting"], "hello, shared", "{output}");
}

#[test]
fn a_second_python_dag_compiles_none_of_the_interpreter_again() {
    let dir = tempfile::tempdir().expect("tempdir");
    // Cranelift alone: each library is compiled once, by the one compiler.
    let first = runtime(dir.path(), None);
    let hello = first.load(&hello_bytes()).expect("hello_python loads");
    let libraries = hello.shared_libraries();
    assert!(libraries.imported > 0, "{libraries:?}");
    assert_eq!(libraries.compiled, libraries.imported, "{libraries:?}");
    greets(&first, &hello);

    let mall = first
        .load(&mall_bytes())
        .expect("mall_customers_python loads");
    assert_eq!(mall.dag().id(), "mall_customers_python");
    assert_eq!(
        mall.shared_libraries(),
        SharedLibraries {
            imported: libraries.imported,
            compiled: 0
        },
        "the second Python DAG shares the first one's interpreter"
    );
    assert_eq!(mall.compile_source(), CompileSource::Compiled);

    // Another process on the same disk cache finds all of both.
    let second = runtime(dir.path(), None);
    for bytes in [hello_bytes(), mall_bytes()] {
        let component = second.load(&bytes).expect("loads from the cache");
        assert_eq!(component.compile_source(), CompileSource::DiskCache);
        assert_eq!(component.shared_libraries().compiled, 0);
    }
    greets(&second, &second.load(&hello_bytes()).expect("loaded"));
}

#[test]
fn libraries_compiled_on_baseline_code_serve_the_next_dag_and_move_to_optimized_code() {
    let dir = tempfile::tempdir().expect("tempdir");
    let runtime = runtime(dir.path(), RuntimeConfig::default().baseline_min_bytes);
    let hello = runtime.load(&hello_bytes()).expect("hello_python loads");
    assert_eq!(hello.compile_source(), CompileSource::Baseline);
    let libraries = hello.shared_libraries();
    assert_eq!(libraries.compiled, libraries.imported, "{libraries:?}");
    greets(&runtime, &hello);

    // Whether or not Cranelift has finished the libraries by now, none is compiled again:
    // the baseline compiler has them, and so will the optimizing thread.
    let mall = runtime
        .load(&mall_bytes())
        .expect("mall_customers_python loads");
    assert_eq!(
        mall.shared_libraries().compiled,
        0,
        "{:?}",
        mall.shared_libraries()
    );

    for component in [&hello, &mall] {
        assert!(
            component.wait_optimized(Duration::from_secs(600)),
            "optimized code never came for {}",
            component.dag().id()
        );
        assert_eq!(component.tier(), Tier::Optimized);
    }
    greets(&runtime, &hello);
}

/// A component bundling a shared library (marked `dylink.0`, with 18 KB of code) whose
/// function `bad` is `body`.
fn with_library(body: &str) -> Vec<u8> {
    wat::parse_str(format!(
        r#"(component
            (core module $lib
                (@custom "dylink.0" "")
                (func {})
                (func (export "bad") (result i32) {body}))
            (core instance (instantiate $lib)))"#,
        "i32.const 1 drop ".repeat(6_000)
    ))
    .expect("the test component parses")
}

#[test]
fn a_library_that_does_not_compile_is_refused_saying_why_and_nothing_is_kept() {
    let dir = tempfile::tempdir().expect("tempdir");
    let runtime = runtime(dir.path(), None);
    let error = runtime
        .load(&with_library("i64.const 1"))
        .expect_err("an invalid library is refused");
    assert_eq!(
        error.class(),
        weft_runtime::ErrorClass::InvalidComponent,
        "{error}"
    );
    assert!(error.to_string().contains("type mismatch"), "{error}");
    // A valid one links, and the component is refused for what it lacks: the world.
    let error = runtime
        .load(&with_library("i32.const 1"))
        .expect_err("not a DAG");
    assert_eq!(
        error.class(),
        weft_runtime::ErrorClass::NotADagComponent,
        "{error}"
    );
    // Nothing of either is in the cache, not even the valid library: a refused component
    // leaves nothing behind.
    let files = walk(dir.path());
    assert!(files.is_empty(), "{files:?}");
}
