//! The compile cache's size bound. Every deployed version of a DAG leaves its code in the
//! cache, and so does every edit of one tested with `wfctl test`: without a bound the cache
//! only grows (a component that bundles a JavaScript engine leaves about 65 MB).
//!
//! When a store takes the files under the cache's root past the bound, the least recently
//! used files go, by modification time (which a load renews), until the files hold three
//! quarters of it: the room left spares the walk for the next stores.
//! Processes of one machine may share the cache: each evicts on its own stores, a file
//! another process has just removed is simply gone, and code already loaded stays usable
//! (a removed file's mapping lives on).

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

/// A temporary file younger than this is another process's store in progress; an older one
/// was left by a process that died, and is evicted like the rest.
const ABANDONED_AFTER: Duration = Duration::from_secs(3600);

/// One file of the cache.
struct CacheFile {
    path: PathBuf,
    bytes: u64,
    used: SystemTime,
}

/// Remove the least recently used files under `root` (in its engines' directories) while
/// they hold more than `max_bytes`, down to three quarters of it; never `kept`, the file just
/// stored.
pub(super) fn keep_under(root: &Path, max_bytes: u64, kept: &Path) {
    let (mut total, mut files) = files_under(root, kept);
    if total <= max_bytes {
        return;
    }
    files.sort_by_key(|file| file.used);
    let target = max_bytes / 4 * 3;
    let mut removed = 0usize;
    for file in files {
        if total <= target {
            break;
        }
        match std::fs::remove_file(&file.path) {
            Ok(()) => {
                total = total.saturating_sub(file.bytes);
                removed += 1;
            }
            // Another process evicted it first.
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                total = total.saturating_sub(file.bytes);
            }
            Err(e) => {
                tracing::warn!(path = %file.path.display(), error = %e, "could not evict compiled code");
            }
        }
    }
    tracing::info!(
        removed,
        bytes = total,
        max_bytes,
        "compile cache over its bound: the least recently used code removed"
    );
}

/// Whether `name` is an engine's directory: 32 hexadecimal digits (see `DiskCache::open`).
fn is_engine_dir(name: &str) -> bool {
    name.len() == 32 && name.bytes().all(|b| b.is_ascii_hexdigit())
}

/// Whether `name` is a file the cache writes: compiled code, or a store in progress.
fn is_cache_file(name: &str) -> bool {
    name.ends_with(".cwasm") || name.starts_with(".tmp")
}

/// The bytes of the cache's files under `root` (compiled code and stores in progress, in the
/// engines' directories: nothing else, whatever directory the cache was given), and the
/// files that may be evicted: all but `kept` and other processes' stores in progress.
fn files_under(root: &Path, kept: &Path) -> (u64, Vec<CacheFile>) {
    let mut total = 0;
    let mut files = Vec::new();
    let Ok(dirs) = std::fs::read_dir(root) else {
        return (total, files);
    };
    for dir in dirs.flatten() {
        if !dir.file_type().is_ok_and(|t| t.is_dir())
            || !is_engine_dir(&dir.file_name().to_string_lossy())
        {
            continue;
        }
        let Ok(entries) = std::fs::read_dir(dir.path()) else {
            continue;
        };
        for entry in entries.flatten() {
            let name = entry.file_name();
            let name = name.to_string_lossy();
            let Ok(meta) = entry.metadata() else {
                continue;
            };
            if !meta.is_file() || !is_cache_file(&name) {
                continue;
            }
            total += meta.len();
            let path = entry.path();
            let used = meta.modified().unwrap_or(SystemTime::UNIX_EPOCH);
            let in_progress =
                name.starts_with(".tmp") && used.elapsed().is_ok_and(|age| age < ABANDONED_AFTER);
            if path == kept || in_progress {
                continue;
            }
            files.push(CacheFile {
                path,
                bytes: meta.len(),
                used,
            });
        }
    }
    (total, files)
}

#[cfg(test)]
mod tests {
    use super::*;

    const ENGINE_A: &str = "0123456789abcdef0123456789abcdef";
    const ENGINE_B: &str = "fedcba9876543210fedcba9876543210";

    /// A file of `bytes` bytes at `dir/name`, last used `age_secs` ago.
    fn file(dir: &Path, name: &str, bytes: usize, age_secs: u64) -> PathBuf {
        std::fs::create_dir_all(dir).expect("dir");
        let path = dir.join(name);
        std::fs::write(&path, vec![0u8; bytes]).expect("write");
        let used = SystemTime::now() - Duration::from_secs(age_secs);
        std::fs::File::options()
            .write(true)
            .open(&path)
            .and_then(|f| f.set_modified(used))
            .expect("set time");
        path
    }

    fn names(root: &Path) -> Vec<String> {
        let mut names: Vec<String> = files_under(root, Path::new(""))
            .1
            .into_iter()
            .map(|f| {
                f.path
                    .file_name()
                    .expect("a file name")
                    .to_string_lossy()
                    .into_owned()
            })
            .collect();
        names.sort();
        names
    }

    #[test]
    fn the_least_recently_used_go_first_down_to_three_quarters_of_the_bound() {
        let root = tempfile::tempdir().expect("tempdir");
        let (a, b) = (root.path().join(ENGINE_A), root.path().join(ENGINE_B));
        file(&a, "oldest.cwasm", 300, 400);
        file(&b, "older.cwasm", 300, 300);
        file(&a, "old.cwasm", 300, 200);
        file(&b, "recent.cwasm", 300, 100);
        let kept = file(&a, "just-stored.cwasm", 300, 0);
        // 1,500 bytes under a bound of 1,000: down to 750, oldest first, across engines.
        keep_under(root.path(), 1_000, &kept);
        assert_eq!(names(root.path()), ["just-stored.cwasm", "recent.cwasm"]);
    }

    #[test]
    fn nothing_goes_within_the_bound_and_the_file_just_stored_never_goes() {
        let root = tempfile::tempdir().expect("tempdir");
        let dir = root.path().join(ENGINE_A);
        file(&dir, "old.cwasm", 400, 1_000);
        let kept = file(&dir, "new.cwasm", 600, 0);
        keep_under(root.path(), 1_000, &kept);
        assert_eq!(names(root.path()), ["new.cwasm", "old.cwasm"]);
        // A bound smaller than the file just stored: everything else goes, it stays.
        let huge = file(&dir, "huge.cwasm", 2_000, 0);
        keep_under(root.path(), 1_000, &huge);
        assert_eq!(names(root.path()), ["huge.cwasm"]);
    }

    #[test]
    fn only_the_caches_own_files_are_counted_or_evicted() {
        // A cache given a directory that holds other things (a home, a temporary
        // directory) leaves them alone, however large.
        let root = tempfile::tempdir().expect("tempdir");
        let dir = root.path().join(ENGINE_A);
        file(root.path(), "notes.txt", 5_000, 1_000);
        file(&root.path().join("photos"), "big.cwasm", 5_000, 1_000);
        file(&dir, "someone-elses.bin", 5_000, 1_000);
        file(&dir, "old.cwasm", 600, 500);
        let kept = file(&dir, "new.cwasm", 600, 0);
        keep_under(root.path(), 1_000, &kept);
        assert!(root.path().join("notes.txt").is_file());
        assert!(root.path().join("photos/big.cwasm").is_file());
        assert!(dir.join("someone-elses.bin").is_file());
        assert_eq!(names(root.path()), ["new.cwasm"]);
    }

    #[test]
    fn a_store_in_progress_stays_and_an_abandoned_one_goes() {
        let root = tempfile::tempdir().expect("tempdir");
        let dir = root.path().join(ENGINE_A);
        file(&dir, ".tmpWriting", 500, 10);
        file(&dir, ".tmpAbandoned", 500, 2 * 3600);
        let kept = file(&dir, "new.cwasm", 500, 0);
        keep_under(root.path(), 1_000, &kept);
        let mut left: Vec<String> = std::fs::read_dir(&dir)
            .expect("dir")
            .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
            .collect();
        left.sort();
        assert_eq!(left, [".tmpWriting", "new.cwasm"]);
    }
}
