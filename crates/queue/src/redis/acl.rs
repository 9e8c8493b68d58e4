//! What a Redis ACL user needs to serve some scopes' queues as a worker, and nothing more:
//! for an operator tool to print `ACL SETUSER` lines.
//!
//! ```
//! use weft_queue::redis::{WORKER_ACL_COMMANDS, worker_acl_keys};
//!
//! let keys = worker_acl_keys("weft", &["team-a".to_owned()])?;
//! assert_eq!(keys, ["~weft:q:t:team-a:*"]);
//! let line = format!(
//!     "ACL SETUSER worker-team-a on >PASSWORD resetkeys {} {}",
//!     keys.join(" "),
//!     WORKER_ACL_COMMANDS.join(" ")
//! );
//! assert!(line.starts_with("ACL SETUSER worker-team-a on >PASSWORD resetkeys ~weft:q:t:team-a:* -@all +ping"));
//! # Ok::<(), weft_queue::BadInput>(())
//! ```

use crate::error::BadInput;
use crate::scope;

use super::keys::scope_prefix;

/// The command rules of a worker's Redis user, in `ACL SETUSER` form: exactly the commands a
/// worker's operations (take, ack, extend, release on its scopes' queues) send or run in
/// their scripts, and nothing else. Pair them with [`worker_acl_keys`].
///
/// Categories such as `+@all -@dangerous` or `+@read +@write +@scripting` are not enough of
/// a fence: they allow commands whose reach no key pattern limits (`SCAN` and `RANDOMKEY`
/// list other scopes' key names; `FUNCTION FLUSH`, `SCRIPT FLUSH` and `SCRIPT KILL` act on
/// the whole server). Redis checks every command a script runs (`redis.call`), and every key
/// it names, against the calling user's ACL, so the scripts' own commands are listed too.
/// Those also let the user run them directly, on its own scopes' keys only.
///
/// Not included: what pushing and [`stats`](crate::Queue::stats) need (`INCRBY`, `HSET`,
/// `SADD`, `SMEMBERS`, `ZCARD` and the namespace's root keys): those are the scheduler's.
pub const WORKER_ACL_COMMANDS: &[&str] = &[
    "-@all",
    // Sent by the client: a health check (connect), the scripts (loaded again when the
    // server lost them), waiting for wake-ups, and choosing a database other than 0.
    "+ping",
    "+evalsha",
    "+script|load",
    "+xread",
    "+select",
    // Run by the take, ack, extend and release scripts.
    "+time",
    "+get",
    "+set",
    "+del",
    "+hget",
    "+hmget",
    "+hincrby",
    "+hdel",
    "+zadd",
    "+zrem",
    "+zscore",
    "+zrange",
    "+zrangebyscore",
    "+zpopmin",
    "+xadd",
    "+xrevrange",
];

/// The ACL key patterns (`~<namespace>:q:t:<scope>:*`, the namespace's glob characters
/// escaped) that let a Redis user serve the queues of `scopes` of `namespace` as a worker,
/// with [`WORKER_ACL_COMMANDS`]. Every key of a scope's queues is under its pattern; the
/// patterns reach no other scope's keys and no unscoped queue's, so such a worker takes,
/// acknowledges, extends and releases on `<scope>/<queue>` only, naming its scopes (not
/// `*/<queue>`, which reads the namespace's scope registry).
///
/// An empty namespace or a scope that cannot be (see [`scope::check_scope`]) is
/// [`BadInput`].
pub fn worker_acl_keys(namespace: &str, scopes: &[String]) -> Result<Vec<String>, BadInput> {
    if namespace.is_empty() {
        return Err(BadInput::EmptyNamespace);
    }
    let root = format!("{}:q:", glob_escape(namespace));
    scopes
        .iter()
        .map(|s| {
            scope::check_scope(s).map_err(|problem| BadInput::BadScope {
                scope: s.clone(),
                problem,
            })?;
            Ok(format!("~{}*", scope_prefix(&root, s)))
        })
        .collect()
}

/// `text` with Redis glob characters escaped, to match itself only in an ACL key pattern.
pub fn glob_escape(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '*' | '?' | '[' | ']' | '\\') {
            escaped.push('\\');
        }
        escaped.push(c);
    }
    escaped
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::NameProblem;

    #[test]
    fn one_pattern_per_scope_under_the_namespace() {
        let scopes = ["a".to_owned(), "team_b".to_owned()];
        assert_eq!(
            worker_acl_keys("weft", &scopes),
            Ok(vec![
                "~weft:q:t:a:*".to_owned(),
                "~weft:q:t:team_b:*".to_owned()
            ])
        );
        assert_eq!(worker_acl_keys("weft", &[]), Ok(vec![]));
    }

    #[test]
    fn glob_characters_of_the_namespace_match_themselves() {
        let keys = worker_acl_keys(r"we*f?t[1]\x", &["a".to_owned()]);
        assert_eq!(keys, Ok(vec![r"~we\*f\?t\[1\]\\x:q:t:a:*".to_owned()]));
    }

    #[test]
    fn a_bad_scope_or_namespace_gets_no_pattern() {
        assert_eq!(
            worker_acl_keys("weft", &["a".to_owned(), "*".to_owned()]),
            Err(BadInput::BadScope {
                scope: "*".into(),
                problem: NameProblem::ScopeCharacter {
                    scope: "*".into(),
                    found: '*'
                }
            })
        );
        assert_eq!(
            worker_acl_keys("", &["a".to_owned()]),
            Err(BadInput::EmptyNamespace)
        );
    }

    #[test]
    fn no_command_is_allowed_by_category() {
        assert_eq!(WORKER_ACL_COMMANDS.first(), Some(&"-@all"));
        for rule in &WORKER_ACL_COMMANDS[1..] {
            assert!(rule.starts_with('+') && !rule.contains('@'), "{rule}");
        }
    }
}
