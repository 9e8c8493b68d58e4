//! The roots of Weft's keys in a namespace, for the queue and the bus to build their keys
//! under and for the [ACL rules](crate::acl) to fence: `<namespace>:q:` holds the task
//! queue's keys (each scope's under `<namespace>:q:t:<scope>:`), `<namespace>:bus:` the
//! report bus's streams and lists (each tenant's reports on `<namespace>:bus:reports:<tenant>`).

/// `<namespace>:q:`, the root of the task queue's keys (and the unscoped queues' prefix).
pub fn queue_root(namespace: &str) -> String {
    format!("{namespace}:q:")
}

/// `<root>t:<scope>:`, the prefix of every key of `scope`'s queues under queue root `root`.
pub fn scope_prefix(root: &str, scope: &str) -> String {
    format!("{root}t:{scope}:")
}

/// `<namespace>:bus:<name>`, a stream or list of the bus.
pub fn bus_key(namespace: &str, name: &str) -> String {
    format!("{namespace}:bus:{name}")
}

/// `<namespace>:bus:reports:<tenant>`, the stream of `tenant`'s reports. Each tenant's
/// reports travel on a stream of their own, so that a worker's Redis user, which may add to
/// its tenants' streams only, can trim, delete or reorder no other tenant's reports.
pub fn reports_stream(namespace: &str, tenant: &str) -> String {
    bus_key(namespace, &format!("reports:{tenant}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_roots_of_a_namespace() {
        assert_eq!(queue_root("weft"), "weft:q:");
        assert_eq!(scope_prefix(&queue_root("weft"), "a"), "weft:q:t:a:");
        assert_eq!(bus_key("weft", "control"), "weft:bus:control");
        assert_eq!(reports_stream("weft", "a"), "weft:bus:reports:a");
    }
}
