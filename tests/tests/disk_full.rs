//! A full disk under `wfctl standalone`: its home on a small tmpfs that the test fills while
//! runs go on, some of them with a task running. Writes that cannot be made are refused with 507 and a message naming the
//! cause, the health check says the store cannot be written, and once space is freed every
//! run that was accepted ends in success: no report lost with a failed write, no task instance
//! left `queued` or `running`.
//!
//! Mounting needs root, which the test suite has (scripts/test.sh runs as root in CI); without
//! it the test fails and says so.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use serde_json::json;
use weft_client::ClientError;
use weft_client::api::runs::{RunView, TriggerBody};
use weft_e2e::process::wait_for;
use weft_e2e::{Api, example, standalone};
use weft_model::DagRunState;
use weft_test_guests_artifacts as guests;

/// The size of the tmpfs the standalone's home lives on: room for the store and the example,
/// little enough to fill in a moment.
const SIZE: &str = "48m";

/// A tmpfs mounted for the test, unmounted when dropped.
struct Tmpfs(PathBuf);

impl Tmpfs {
    fn mount(at: &Path) -> Tmpfs {
        std::fs::create_dir_all(at).expect("the mount point");
        let status = Command::new("mount")
            .args([
                "-t",
                "tmpfs",
                "-o",
                &format!("size={SIZE},mode=0700"),
                "tmpfs",
            ])
            .arg(at)
            .status()
            .expect("running mount");
        assert!(
            status.success(),
            "mounting a tmpfs at {} failed ({status}): this test needs root",
            at.display()
        );
        Tmpfs(at.to_owned())
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.0).status();
    }
}

/// Write zeros to `path` until the filesystem has no room left, in large pieces then small.
fn fill(path: &Path) {
    let mut file = std::fs::File::create(path).expect("the filler file");
    for piece in [1 << 20, 4096, 512, 1] {
        let zeros = vec![0u8; piece];
        while file.write_all(&zeros).is_ok() {}
    }
    let _ = file.sync_all();
}

fn trigger(api: &Api, run_id: &str) -> Result<RunView, ClientError> {
    let body = TriggerBody {
        conf: Some(json!({})),
        logical_date: None,
        run_id: Some(run_id.to_owned()),
    };
    api.client().trigger("hello", &body)
}

#[test]
fn a_full_disk_refuses_writes_with_507_and_loses_no_run() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let home = dir.path().join("home");
    let _tmpfs = Tmpfs::mount(&home);
    let (standalone, api) = standalone::start(dir.path(), &[]);
    api.deploy(&example("hello"));
    api.deploy(Path::new(guests::SLOW_CHAIN));

    // Runs whose `slow` task is still running when the disk fills: their reports reach a
    // store that cannot take them.
    let slow: Vec<String> = (0..4)
        .map(|n| {
            let id = format!("slow_{n}");
            api.trigger("slow_chain", json!({ "sleep_ms": 1500 }), Some(&id))
        })
        .collect();
    let mut accepted: Vec<String> = (0..10)
        .map(|n| api.trigger("hello", json!({}), Some(&format!("before_{n}"))))
        .collect();
    let filler = home.join("filler");
    fill(&filler);
    let full_since = Instant::now();

    // New runs are refused with 507 once the store cannot grow, naming the cause; the disk
    // stays full until then, and at least until the slow tasks have ended.
    let mut refused = 0;
    let mut n = 0;
    while refused == 0 || full_since.elapsed() < Duration::from_secs(4) {
        assert!(
            full_since.elapsed() < Duration::from_secs(90),
            "no trigger was refused in 90 s on a full disk; {} accepted",
            accepted.len()
        );
        let run_id = format!("during_{n}");
        n += 1;
        match trigger(&api, &run_id) {
            Ok(_) => accepted.push(run_id),
            Err(ClientError::Refused {
                status: 507,
                detail,
            }) => {
                assert_eq!(detail.code, "store_full", "{detail:?}");
                assert!(detail.message.contains("disk is full"), "{detail:?}");
                refused += 1;
                if refused == 1 {
                    let (status, health) = api.get_raw("/health");
                    let health = String::from_utf8_lossy(&health);
                    assert_eq!(
                        status, 507,
                        "the health check says the store is full: {health}"
                    );
                    assert!(health.contains("store_full"), "{health}");
                }
            }
            Err(other) => panic!("a trigger on a full disk answered {other}"),
        }
        std::thread::sleep(Duration::from_millis(5));
    }

    // Space comes back: the store takes writes again, and every accepted run succeeds, each
    // task once.
    std::fs::remove_file(&filler).expect("removing the filler");
    wait_for("the health check to pass", Duration::from_secs(30), || {
        api.healthy().then_some(())
    });
    for run_id in &slow {
        let run = api.wait_run("slow_chain", run_id, Duration::from_secs(120));
        assert_eq!(run.run.state, DagRunState::Success, "run {run_id}: {run:?}");
    }
    for run_id in &accepted {
        let run = api.wait_run("hello", run_id, Duration::from_secs(120));
        assert_eq!(run.run.state, DagRunState::Success, "run {run_id}: {run:?}");
    }
    if let Err(e) = trigger(&api, "after") {
        panic!("a trigger once space came back: {e}");
    }
    let run = api.wait_run("hello", "after", Duration::from_secs(60));
    assert_eq!(run.run.state, DagRunState::Success, "{run:?}");
    let retried = standalone.output().matches("handing them in again").count();
    println!(
        "{} runs accepted, {refused} refused; report batches handed in again: {retried}",
        accepted.len() + slow.len()
    );
    drop(standalone);
}
