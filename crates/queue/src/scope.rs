//! Scoped queue names: `<scope>/<queue>` keeps a queue's messages, keys and leases apart from
//! every other scope's (a scope per tenant), so that a backend can let a scope's workers reach
//! that scope and nothing else (Redis: one ACL key pattern per scope, see
//! `weft_redis::acl::worker_rules`).
//!
//! - `default`: an unscoped queue, as queues always were.
//! - `a/default`: queue `default` of scope `a`. The scope is the text before the first `/`:
//!   1 to [`MAX_SCOPE_LEN`] characters of `a-z`, `0-9`, `_` and `-` (tenant names fit);
//!   the queue after it must not be empty.
//! - `*/default`, in a take only: queue `default` of every scope that exists (that anything
//!   was ever pushed to). Deliveries name their real queue (`a/default`).
//!
//! Message keys are per scope: a keyed push replaces the holder of its key within its own
//! scope only. Delivery ids of scoped messages start with `<scope>/`, so that ack, extend and
//! release can find the scope of each id without asking anyone.
//!
//! A take that covers several scopes serves them in turns: each such take starts with the
//! scope after the one that led the previous take (in name order), and fills its batch from
//! the next scopes only when that one runs dry. Within a scope, order is as ever: priority,
//! then age.

use std::collections::BTreeMap;

use crate::error::NameProblem;

/// Separates a scope from its queue (`a/default`) and from the rest of a delivery id.
pub const SEPARATOR: char = '/';

/// The scope that stands for every scope, in a take (`*/default`).
pub const ANY_SCOPE: &str = "*";

/// The longest scope, in characters (a tenant name's limit).
pub const MAX_SCOPE_LEN: usize = 63;

/// Checks that `scope` can name a scope: 1 to [`MAX_SCOPE_LEN`] characters of `a-z`, `0-9`,
/// `_` and `-` (no glob character, no key separator).
pub fn check_scope(scope: &str) -> Result<(), NameProblem> {
    if scope.is_empty() {
        return Err(NameProblem::EmptyScope);
    }
    let allowed = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-';
    if let Some(found) = scope.chars().find(|&c| !allowed(c)) {
        return Err(NameProblem::ScopeCharacter {
            scope: scope.to_owned(),
            found,
        });
    }
    if scope.len() > MAX_SCOPE_LEN {
        return Err(NameProblem::ScopeTooLong { len: scope.len() });
    }
    Ok(())
}

/// The name of queue `queue` of scope `scope`: `<scope>/<queue>`.
pub fn scoped(scope: &str, queue: &str) -> String {
    format!("{scope}{SEPARATOR}{queue}")
}

/// The name a take uses for queue `queue` of every scope: `*/<queue>`.
pub fn every_scope(queue: &str) -> String {
    scoped(ANY_SCOPE, queue)
}

/// A queue name's scope (if it has one) and the queue within it: `("a", "q")` for `a/q`,
/// `(None, "q")` for `q`. The name is not checked.
pub fn split(name: &str) -> (Option<&str>, &str) {
    match name.split_once(SEPARATOR) {
        Some((scope, queue)) => (Some(scope), queue),
        None => (None, name),
    }
}

/// Checks a non-empty queue name of a push (`in_take == false`) or a take (where `*/q` is
/// allowed).
pub(crate) fn check_name(name: &str, in_take: bool) -> Result<(), NameProblem> {
    let (Some(scope), queue) = split(name) else {
        return Ok(());
    };
    if scope == ANY_SCOPE {
        if !in_take {
            return Err(NameProblem::AnyScopeInPush);
        }
    } else {
        check_scope(scope)?;
    }
    if queue.is_empty() {
        return Err(NameProblem::EmptyQueue);
    }
    Ok(())
}

/// What a checked take name covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Target<'a> {
    /// One queue: its scope (`None`: unscoped) and its name within the scope.
    One(Option<&'a str>, &'a str),
    /// Queue `.0` of every scope.
    AnyScope(&'a str),
}

/// What checked take name `name` covers.
pub(crate) fn target(name: &str) -> Target<'_> {
    match split(name) {
        (Some(ANY_SCOPE), queue) => Target::AnyScope(queue),
        (scope, queue) => Target::One(scope, queue),
    }
}

/// The queues a take covers, by scope: `(scope, distinct queues within it)`, sorted by scope
/// (unscoped first), with `*/q` standing for `q` of each of `scopes`.
pub(crate) fn group<'a>(
    targets: &[Target<'a>],
    scopes: &'a [String],
) -> Vec<(Option<&'a str>, Vec<&'a str>)> {
    let mut groups: BTreeMap<Option<&'a str>, Vec<&'a str>> = BTreeMap::new();
    let mut add = |scope: Option<&'a str>, queue: &'a str| {
        let queues = groups.entry(scope).or_default();
        if !queues.contains(&queue) {
            queues.push(queue);
        }
    };
    for target in targets {
        match *target {
            Target::One(scope, queue) => add(scope, queue),
            Target::AnyScope(queue) => {
                for scope in scopes {
                    add(Some(scope), queue);
                }
            }
        }
    }
    groups.into_iter().collect()
}

/// A delivery id's scope (`None`: unscoped) and the rest of the id; `None` when the id names
/// a scope that cannot be (such an id is lost).
pub(crate) fn split_id(id: &str) -> Option<(Option<&str>, &str)> {
    match id.split_once(SEPARATOR) {
        Some((scope, rest)) => check_scope(scope).is_ok().then_some((Some(scope), rest)),
        None => Some((None, id)),
    }
}

/// The delivery id `id` of a message of `scope`, as handed to the taker.
pub(crate) fn scoped_id(scope: Option<&str>, id: &str) -> String {
    match scope {
        Some(scope) => scoped(scope, id),
        None => id.to_owned(),
    }
}

/// Whose turn it is among the scopes of takes that cover several: the scope after the last
/// one that led such a take.
#[derive(Debug, Default)]
pub(crate) struct Turns {
    /// The scope that led the last take over several (`""`: the unscoped queues).
    last: Option<String>,
}

impl Turns {
    /// Positions in `groups` (sorted, distinct scopes; `None` first) in the order to serve
    /// them: from the first scope after the last leader, round to the start.
    pub(crate) fn order(&self, groups: &[Option<&str>]) -> Vec<usize> {
        let start = match &self.last {
            Some(last) => groups
                .iter()
                .position(|g| g.unwrap_or("") > last.as_str())
                .unwrap_or(0),
            None => 0,
        };
        (start..groups.len()).chain(0..start).collect()
    }

    /// Records that `group` was the first to deliver in a take over several scopes.
    pub(crate) fn led(&mut self, group: Option<&str>) {
        self.last = Some(group.unwrap_or("").to_owned());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_follow_tenant_name_rules() {
        for good in ["a", "team-a", "team_b2", "9", &"x".repeat(63)] {
            assert_eq!(check_scope(good), Ok(()), "{good}");
        }
        assert_eq!(check_scope(""), Err(NameProblem::EmptyScope));
        assert_eq!(
            check_scope(&"x".repeat(64)),
            Err(NameProblem::ScopeTooLong { len: 64 })
        );
        for (bad, found) in [
            ("A", 'A'),
            ("a*", '*'),
            ("a:b", ':'),
            ("a?", '?'),
            ("é", 'é'),
        ] {
            let scope = bad.to_owned();
            assert_eq!(
                check_scope(bad),
                Err(NameProblem::ScopeCharacter { scope, found }),
                "{bad}"
            );
        }
    }

    #[test]
    fn names_split_at_the_first_separator() {
        assert_eq!(split("q"), (None, "q"));
        assert_eq!(split("a/q"), (Some("a"), "q"));
        assert_eq!(split("a/q/r"), (Some("a"), "q/r"));
        assert_eq!(scoped("a", "q/r"), "a/q/r");
        assert_eq!(target("*/q"), Target::AnyScope("q"));
        assert_eq!(target("*"), Target::One(None, "*"));
        assert_eq!(target("a/q"), Target::One(Some("a"), "q"));
    }

    #[test]
    fn names_are_checked_for_push_and_take() {
        for good in ["q", "*", "a:b", "a/q", "a/*", "a/q/r"] {
            assert_eq!(check_name(good, false), Ok(()), "{good}");
            assert_eq!(check_name(good, true), Ok(()), "{good}");
        }
        assert_eq!(check_name("*/q", true), Ok(()));
        assert_eq!(check_name("*/q", false), Err(NameProblem::AnyScopeInPush));
        assert_eq!(check_name("*/", true), Err(NameProblem::EmptyQueue));
        assert_eq!(check_name("a/", false), Err(NameProblem::EmptyQueue));
        assert_eq!(check_name("/q", true), Err(NameProblem::EmptyScope));
        assert!(matches!(
            check_name("A/q", true),
            Err(NameProblem::ScopeCharacter { found: 'A', .. })
        ));
    }

    #[test]
    fn groups_expand_wildcards_and_drop_repeats() {
        let scopes = vec!["b".to_owned(), "a".to_owned()];
        let names = ["q", "*/w", "b/w", "a/v", "q", "c/w"];
        let targets: Vec<Target<'_>> = names.iter().map(|n| target(n)).collect();
        let groups = group(&targets, &scopes);
        assert_eq!(
            groups,
            [
                (None, vec!["q"]),
                (Some("a"), vec!["w", "v"]),
                (Some("b"), vec!["w"]),
                (Some("c"), vec!["w"]),
            ]
        );
        assert_eq!(group(&[Target::AnyScope("w")], &[]), []);
    }

    #[test]
    fn ids_carry_their_scope() {
        assert_eq!(split_id("7.1@ab"), Some((None, "7.1@ab")));
        assert_eq!(split_id("a/7.1@ab"), Some((Some("a"), "7.1@ab")));
        assert_eq!(split_id("a/b/7.1"), Some((Some("a"), "b/7.1")));
        for lost in ["/7.1", "A/7.1", "*/7.1", "a b/7.1"] {
            assert_eq!(split_id(lost), None, "{lost}");
        }
        assert_eq!(scoped_id(Some("a"), "7.1@ab"), "a/7.1@ab");
        assert_eq!(scoped_id(None, "7.1@ab"), "7.1@ab");
    }

    #[test]
    fn turns_start_after_the_last_leader() {
        let mut turns = Turns::default();
        let groups = [None, Some("a"), Some("b"), Some("c")];
        assert_eq!(turns.order(&groups), [0, 1, 2, 3]);
        turns.led(None);
        assert_eq!(turns.order(&groups), [1, 2, 3, 0]);
        turns.led(Some("b"));
        assert_eq!(turns.order(&groups), [3, 0, 1, 2]);
        turns.led(Some("c"));
        assert_eq!(turns.order(&groups), [0, 1, 2, 3]);
        // The last leader need not be among the scopes of this take.
        turns.led(Some("bb"));
        assert_eq!(turns.order(&[Some("a"), Some("b"), Some("c")]), [2, 0, 1]);
        assert_eq!(turns.order(&[]), Vec::<usize>::new());
    }
}
