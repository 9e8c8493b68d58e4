//! Which workers may run a task: the labels (`gpu`, `ssd`) and the architecture a task asks
//! of its worker, and the queue names that carry such tasks.
//!
//! A task that asks for nothing goes to its queue as ever (`default`). One that asks for
//! labels or an architecture goes to a queue named by its queue and its requirement:
//! `default@gpu+ssd`, `default@arch=aarch64+gpu`, the requirement's tokens sorted. A worker
//! with labels `gpu,ssd` on `x86_64` takes from its queue under every subset of
//! `{gpu, ssd, arch=x86_64}` ([`served_queues`]), so that it takes exactly the tasks whose
//! requirement it meets, and a task nobody meets waits in its queue until such a worker
//! comes. One take covers all of them, in priority and age order, so labelled work is not
//! starved by plain work nor the other way round.
//!
//! `@`, `+` and `=` cannot appear in a queue name or a label ([`check_id`]), so a routed name
//! is never a user's queue, and `arch=...` is never a label.

use crate::problem::IdIssue;
use crate::validate::check_id;

/// Most labels a task may ask for.
pub const MAX_TASK_LABELS: usize = 4;
/// Most labels a worker may have: a worker takes from `2^(labels + 1)` queue names per queue.
pub const MAX_WORKER_LABELS: usize = 4;
/// The architectures a task may ask for, as Rust names them (`std::env::consts::ARCH`):
/// those wasmtime compiles for.
pub const KNOWN_ARCHES: [&str; 4] = ["x86_64", "aarch64", "riscv64", "s390x"];

/// Separates a queue from the requirement of the tasks on it (`default@gpu`).
const REQUIREMENT: char = '@';
/// Separates the requirement's tokens (`gpu+ssd`).
const AND: char = '+';
/// The token of a required architecture (`arch=aarch64`).
const ARCH_TOKEN: &str = "arch=";

/// What is wrong with a worker's or a task's labels.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LabelIssue {
    /// A label is not a valid name.
    #[error("label {label:?} {issue}")]
    BadLabel {
        /// The label given.
        label: String,
        /// What is wrong with it.
        issue: IdIssue,
    },
    /// More labels than allowed.
    #[error("{count} labels (at most {max})")]
    TooMany {
        /// How many labels were given.
        count: usize,
        /// The most allowed.
        max: usize,
    },
}

/// Checks a list of labels: each a valid name ([`check_id`]), at most `max` of them.
pub fn check_labels(labels: &[String], max: usize) -> Result<(), LabelIssue> {
    for label in labels {
        check_id(label).map_err(|issue| LabelIssue::BadLabel {
            label: label.clone(),
            issue,
        })?;
    }
    let count = labels.len();
    if count > max {
        return Err(LabelIssue::TooMany { count, max });
    }
    Ok(())
}

/// Whether `arch` names an architecture a task may ask for ([`KNOWN_ARCHES`]).
pub fn is_known_arch(arch: &str) -> bool {
    KNOWN_ARCHES.contains(&arch)
}

/// What another name of an architecture is called here (`arm64` is `aarch64`), for errors.
pub fn arch_alias(arch: &str) -> Option<&'static str> {
    match arch.to_ascii_lowercase().as_str() {
        "amd64" | "x64" | "x86-64" => Some("x86_64"),
        "arm64" | "armv8" => Some("aarch64"),
        "riscv64gc" => Some("riscv64"),
        _ => None,
    }
}

/// The queue that carries the tasks of queue `queue` that ask for `labels` and `arch`:
/// `queue` itself when they ask for nothing.
pub fn routed_queue(queue: &str, labels: &[String], arch: Option<&str>) -> String {
    let mut tokens: Vec<String> = distinct(labels);
    if let Some(arch) = arch {
        tokens.push(format!("{ARCH_TOKEN}{arch}"));
    }
    named(queue, tokens)
}

/// Every queue name a worker with `labels` on `arch` takes from for its queue `queue`: the
/// queue itself and the queue under each requirement the worker meets, `queue` first.
/// `labels` should be checked ([`check_labels`] with [`MAX_WORKER_LABELS`]); more are cut.
/// Without `arch`, it takes no task that asks for an architecture.
pub fn served_queues(queue: &str, labels: &[String], arch: Option<&str>) -> Vec<String> {
    let mut tokens = distinct(labels);
    tokens.truncate(MAX_WORKER_LABELS);
    tokens.extend(arch.map(|arch| format!("{ARCH_TOKEN}{arch}")));
    (0u32..1 << tokens.len())
        .map(|subset| {
            let chosen = tokens
                .iter()
                .enumerate()
                .filter(|(i, _)| subset & (1 << i) != 0)
                .map(|(_, t)| t.clone())
                .collect();
            named(queue, chosen)
        })
        .collect()
}

/// A routed queue name's queue and what its tasks ask for (labels, then `arch=...`):
/// `("default", ["gpu"])` for `default@gpu`, `("default", [])` for `default`.
pub fn split_routed(name: &str) -> (&str, Vec<&str>) {
    match name.split_once(REQUIREMENT) {
        Some((queue, requirement)) => (queue, requirement.split(AND).collect()),
        None => (name, Vec::new()),
    }
}

/// `labels` without repeats, sorted.
fn distinct(labels: &[String]) -> Vec<String> {
    let mut labels = labels.to_vec();
    labels.sort();
    labels.dedup();
    labels
}

/// `queue` with the requirement made of `tokens`, sorted.
fn named(queue: &str, mut tokens: Vec<String>) -> String {
    if tokens.is_empty() {
        return queue.to_owned();
    }
    tokens.sort();
    format!("{queue}{REQUIREMENT}{}", tokens.join(&AND.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(items: &[&str]) -> Vec<String> {
        items.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn a_task_that_asks_for_nothing_stays_on_its_queue() {
        assert_eq!(routed_queue("default", &[], None), "default");
        assert_eq!(split_routed("default"), ("default", vec![]));
    }

    #[test]
    fn a_requirement_is_named_the_same_whatever_order_it_was_written_in() {
        let a = routed_queue("etl", &strings(&["ssd", "gpu", "ssd"]), Some("aarch64"));
        let b = routed_queue("etl", &strings(&["gpu", "ssd"]), Some("aarch64"));
        assert_eq!(a, "etl@arch=aarch64+gpu+ssd");
        assert_eq!(a, b);
        assert_eq!(
            split_routed(&a),
            ("etl", vec!["arch=aarch64", "gpu", "ssd"])
        );
    }

    #[test]
    fn a_worker_serves_exactly_the_requirements_it_meets() {
        let served = served_queues("default", &strings(&["gpu", "ssd"]), Some("x86_64"));
        assert_eq!(served.len(), 8);
        assert_eq!(served[0], "default");
        let meets = |labels: &[&str], arch: Option<&str>| {
            served.contains(&routed_queue("default", &strings(labels), arch))
        };
        assert!(meets(&[], None));
        assert!(meets(&["gpu"], None));
        assert!(meets(&["ssd", "gpu"], Some("x86_64")));
        assert!(meets(&[], Some("x86_64")));
        assert!(!meets(&["tpu"], None));
        assert!(!meets(&["gpu", "tpu"], None));
        assert!(!meets(&["gpu"], Some("aarch64")));
        assert!(!served.contains(&routed_queue("other", &strings(&["gpu"]), None)));
    }

    #[test]
    fn a_worker_without_labels_serves_its_queue_and_its_architecture() {
        let served = served_queues("default", &[], Some("aarch64"));
        assert_eq!(served, ["default", "default@arch=aarch64"]);
        assert_eq!(served_queues("funnel", &[], None), ["funnel"]);
    }

    #[test]
    fn bad_labels_are_named() {
        let e = check_labels(&strings(&["gpu", "fast disk"]), MAX_TASK_LABELS).unwrap_err();
        assert_eq!(
            e.to_string(),
            "label \"fast disk\" contains ' ' (only letters, digits, '_', '-' and '.' are allowed)"
        );
        let plus = check_labels(&strings(&["a+b"]), MAX_TASK_LABELS).unwrap_err();
        assert!(matches!(plus, LabelIssue::BadLabel { .. }), "{plus}");
        let many = strings(&["a", "b", "c", "d", "e"]);
        assert_eq!(
            check_labels(&many, MAX_TASK_LABELS).unwrap_err(),
            LabelIssue::TooMany { count: 5, max: 4 }
        );
        // Every one given counts, repeats too.
        assert_eq!(
            check_labels(&strings(&["a", "a", "a", "a", "a"]), 4).unwrap_err(),
            LabelIssue::TooMany { count: 5, max: 4 }
        );
    }

    #[test]
    fn architectures_are_known_by_their_rust_names() {
        assert!(is_known_arch("aarch64"));
        assert!(is_known_arch(std::env::consts::ARCH));
        assert!(!is_known_arch("arm64"));
        assert_eq!(arch_alias("ARM64"), Some("aarch64"));
        assert_eq!(arch_alias("amd64"), Some("x86_64"));
        assert_eq!(arch_alias("mips"), None);
    }
}
