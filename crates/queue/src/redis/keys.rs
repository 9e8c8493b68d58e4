//! The names of a namespace's keys: the prefix of the unscoped queues' keys, of each scope's,
//! and the scope registry's (the layout is described in the [module docs](super)), under
//! the roots `weft_redis::keys` defines for the ACL rules to fence.

use weft_redis::keys::{queue_root, scope_prefix};

/// The key names of one namespace.
#[derive(Debug, Clone)]
pub(super) struct KeySpace {
    /// `<namespace>:q:`
    root: String,
}

impl KeySpace {
    pub(super) fn new(namespace: &str) -> KeySpace {
        KeySpace {
            root: queue_root(namespace),
        }
    }

    /// The prefix of every key of `scope`'s queues (`None`: the unscoped queues): the
    /// scripts' `ARGV[1]`.
    pub(super) fn prefix(&self, scope: Option<&str>) -> String {
        match scope {
            Some(scope) => scope_prefix(&self.root, scope),
            None => self.root.clone(),
        }
    }

    /// The prefix of the unscoped queues' keys, which is also the registry's.
    pub(super) fn root(&self) -> &str {
        &self.root
    }

    /// The stream of wake-ups of queue `queue` of `scope`.
    pub(super) fn signal(&self, scope: Option<&str>, queue: &str) -> String {
        format!("{}signal:{queue}", self.prefix(scope))
    }

    /// The stream of wake-ups for new scopes.
    pub(super) fn scopes_signal(&self) -> String {
        format!("{}scopes-signal", self.root)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_have_prefixes_of_their_own() {
        let keys = KeySpace::new("weft");
        assert_eq!(keys.prefix(None), "weft:q:");
        assert_eq!(keys.prefix(Some("a")), "weft:q:t:a:");
        assert_eq!(keys.root(), "weft:q:");
        assert_eq!(keys.signal(Some("a"), "x:y"), "weft:q:t:a:signal:x:y");
        assert_eq!(keys.signal(None, "q"), "weft:q:signal:q");
        assert_eq!(keys.scopes_signal(), "weft:q:scopes-signal");
    }
}
