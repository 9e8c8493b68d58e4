//! The layering rule, checked on the real dependency graph (`cargo metadata`): a worker
//! machine holds no database credentials, so the worker links no database driver, no store
//! and no scheduler; the bus and the protocol it speaks link neither either, nor does the
//! API client (`weft-client`), which links no sandbox either. The SQL and object storage
//! clients and the egress proxy the sandbox uses link no sandbox themselves.

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;

/// Packages none of the crates below may link, directly or not: the metadata store and what
/// only it needs. The worker does link sqlx's PostgreSQL and MySQL clients, for the SQL it
/// runs on behalf of tasks (`weft-sql`, behind `weft-runtime`'s `sql` host); those reach only
/// the databases of the connections a task declares, never Weft's own store.
const FORBIDDEN: &[&str] = &[
    "libsqlite3-sys",
    "sqlx-sqlite",
    "weft-store",
    "weft-scheduler",
    "weft-server",
    "weft-standalone",
    "axum",
];

/// The names of every package a build of `root` alone links: `cargo tree -p ROOT` over
/// normal and build dependencies (not dev-dependencies, which only its tests link), with
/// features resolved as for that build.
fn linked(root: &str) -> BTreeSet<String> {
    linked_with(root, &[])
}

/// [`linked`], with more arguments for `cargo tree` (`--no-default-features`, say).
fn linked_with(root: &str, more: &[&str]) -> BTreeSet<String> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../Cargo.toml");
    let output = Command::new(cargo)
        .args([
            "tree",
            "-e",
            "normal,build",
            "--prefix",
            "none",
            "-f",
            "{p}",
            "-p",
            root,
        ])
        .args(more)
        .arg("--manifest-path")
        .arg(&manifest)
        .output()
        .expect("cargo tree runs");
    assert!(
        output.status.success(),
        "cargo tree failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .filter_map(|line| line.split_whitespace().next())
        .map(str::to_owned)
        .collect()
}

#[test]
fn the_worker_bus_and_protocol_link_no_database_store_or_scheduler() {
    for root in ["weft-worker", "weft-bus", "weft-protocol"] {
        let linked = linked(root);
        assert!(
            linked.contains("serde"),
            "{root}'s graph was not read: {linked:?}"
        );
        let found: Vec<&&str> = FORBIDDEN
            .iter()
            .filter(|name| linked.contains(**name))
            .collect();
        assert!(found.is_empty(), "{root} links {found:?}");
        if root != "weft-worker" {
            assert!(!linked.contains("sqlx-core"), "{root} links sqlx");
        }
    }
}

#[test]
fn the_worker_build_of_wfctl_links_no_database() {
    let linked = linked_with("wfctl", &["--no-default-features"]);
    assert!(linked.contains("weft-worker"), "{linked:?}");
    let found: Vec<&&str> = FORBIDDEN
        .iter()
        .filter(|name| linked.contains(**name))
        .collect();
    assert!(
        found.is_empty(),
        "wfctl --no-default-features links {found:?}"
    );
}

#[test]
fn the_protocol_depends_on_the_model_and_serde_only() {
    let linked = linked("weft-protocol");
    let weft: Vec<&String> = linked
        .iter()
        .filter(|n| n.starts_with("weft-") && *n != "weft-protocol")
        .collect();
    assert_eq!(weft, ["weft-model"], "the protocol's Weft dependencies");
    for heavy in ["redis", "tokio", "wasmtime", "ureq", "utoipa"] {
        assert!(!linked.contains(heavy), "the protocol links {heavy}");
    }
}

#[test]
fn the_api_client_links_no_database_store_scheduler_or_sandbox() {
    // wfctl, the benchmark and the tests share it; a worker machine's wfctl links it too.
    let linked = linked("weft-client");
    assert!(linked.contains("ureq"), "{linked:?}");
    let found: Vec<&&str> = FORBIDDEN
        .iter()
        .chain(&[
            "sqlx-core",
            "wasmtime",
            "weft-runtime",
            "weft-queue",
            "redis",
        ])
        .filter(|name| linked.contains(**name))
        .collect();
    assert!(found.is_empty(), "weft-client links {found:?}");
}

#[test]
fn the_sql_and_object_clients_and_the_egress_proxy_link_no_sandbox() {
    for root in ["weft-sql", "weft-objects", "weft-egress"] {
        let linked = linked(root);
        assert!(
            linked.contains("tokio"),
            "{root}'s graph was not read: {linked:?}"
        );
        for sandbox in [
            "wasmtime",
            "wasmtime-wasi",
            "wasmtime-wasi-http",
            "weft-runtime",
        ] {
            assert!(!linked.contains(sandbox), "{root} links {sandbox}");
        }
    }
    assert!(
        !linked("weft-egress").contains("sqlx-core"),
        "the egress proxy links sqlx"
    );
}

#[test]
fn the_check_sees_what_the_server_links() {
    // The same walk finds the database driver where it belongs: the check can fail.
    let linked = linked("weft-server");
    assert!(linked.contains("sqlx-core"), "{linked:?}");
    assert!(linked.contains("weft-store"));
}
