//! The server settings Weft needs from Redis, checked by a scheduler at start
//! ([`RedisQueue::check_settings`]): `maxmemory-policy noeviction`, so that Redis refuses a
//! write when full rather than drop a queued message or a lease (a message dropped without
//! the queue's generation changing waits for the scheduler's watchdog of queued attempts), and
//! persistence (AOF or RDB snapshots), so that a restart keeps what was queued (without it
//! the scheduler queues everything again, seeing the generation change).

use std::collections::HashMap;

use redis::Value;

use super::RedisQueue;

/// What the check found wrong with the server's settings, for people.
pub(super) fn problems(settings: &HashMap<String, String>) -> Vec<String> {
    let mut problems = Vec::new();
    match settings.get("maxmemory-policy").map(String::as_str) {
        Some("noeviction") | None => {}
        Some(policy) => problems.push(format!(
            "maxmemory-policy is {policy}: when Redis is full it evicts keys, queued tasks \
             with them (each waits for the scheduler's watchdog to queue it again); set \
             `maxmemory-policy noeviction`"
        )),
    }
    let aof = settings.get("appendonly").map(String::as_str);
    let rdb = settings.get("save").map(String::as_str);
    if aof == Some("no") && rdb.is_some_and(|save| save.trim().is_empty()) {
        problems.push(
            "persistence is off (appendonly no, save \"\"): a Redis restart loses every \
             queued task, which the scheduler then queues again; turn on `appendonly yes`"
                .to_owned(),
        );
    }
    problems
}

impl RedisQueue {
    /// Check the server's memory policy and persistence (`CONFIG GET`) and warn in the log of
    /// each setting that would lose queued tasks. Never fails: a user that may not run
    /// `CONFIG GET` (as cloud services and ACLs often refuse it) gets a debug line saying the
    /// settings could not be checked.
    pub async fn check_settings(&self) {
        let connections = &self.inner.connections;
        let mut connection = connections.shared();
        let mut pipe = redis::pipe();
        for name in ["maxmemory-policy", "appendonly", "save"] {
            pipe.cmd("CONFIG").arg("GET").arg(name);
        }
        let answers = connections
            .run(
                "CONFIG GET",
                pipe.query_async::<Vec<Value>>(&mut connection),
            )
            .await;
        let answers = match answers {
            Ok(answers) => answers,
            Err(e) => {
                tracing::debug!(error = %e, "could not check the Redis server's settings");
                return;
            }
        };
        let mut settings = HashMap::new();
        for answer in answers {
            if let Ok(pairs) = redis::from_redis_value::<HashMap<String, String>>(answer) {
                settings.extend(pairs);
            }
        }
        for problem in problems(&settings) {
            tracing::warn!(redis = %connections.url(), "{problem}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::problems;

    fn settings(pairs: &[(&str, &str)]) -> std::collections::HashMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn eviction_and_no_persistence_are_named() {
        let good = settings(&[
            ("maxmemory-policy", "noeviction"),
            ("appendonly", "yes"),
            ("save", ""),
        ]);
        assert!(problems(&good).is_empty());
        let snapshots = settings(&[("appendonly", "no"), ("save", "3600 1")]);
        assert!(problems(&snapshots).is_empty());
        let bad = settings(&[
            ("maxmemory-policy", "allkeys-lru"),
            ("appendonly", "no"),
            ("save", ""),
        ]);
        let found = problems(&bad);
        assert_eq!(found.len(), 2, "{found:?}");
        assert!(found[0].contains("allkeys-lru") && found[0].contains("noeviction"));
        assert!(found[1].contains("appendonly yes"));
        // Settings that could not be read are not guessed at.
        assert!(problems(&settings(&[])).is_empty());
    }
}
