//! The Lua scripts of the Redis backend (`lua/*.lua`, each after `lua/prelude.lua`) and their
//! invocation: every call carries the key prefix of the keys it may touch (the namespace's
//! unscoped queues, or one scope's) and a fresh random generation (used only if that prefix
//! has none yet).

use redis::aio::ConnectionManager;
use redis::{RedisResult, Script, ScriptInvocation, ToRedisArgs, Value};

use crate::random::random_id;

const PRELUDE: &str = include_str!("lua/prelude.lua");

/// Every script, compiled once per server (EVALSHA; loaded again after a restart).
pub(super) struct Scripts {
    pub(super) push: QueueScript,
    pub(super) take: QueueScript,
    pub(super) ack: QueueScript,
    pub(super) extend: QueueScript,
    pub(super) release: QueueScript,
    pub(super) stats: QueueScript,
    pub(super) generation: QueueScript,
    /// Which message keys no live message holds (for the scheduler's watchdog).
    pub(super) unheld: QueueScript,
    /// Adds scopes to the namespace's registry (root prefix).
    pub(super) register: QueueScript,
    /// Lists the registry's scopes (root prefix).
    pub(super) scopes: QueueScript,
}

impl Scripts {
    pub(super) fn new() -> Scripts {
        Scripts {
            push: QueueScript::new(include_str!("lua/push.lua")),
            take: QueueScript::new(include_str!("lua/take.lua")),
            ack: QueueScript::new(include_str!("lua/ack.lua")),
            extend: QueueScript::new(include_str!("lua/extend.lua")),
            release: QueueScript::new(include_str!("lua/release.lua")),
            stats: QueueScript::new(include_str!("lua/stats.lua")),
            generation: QueueScript::new(include_str!("lua/generation.lua")),
            unheld: QueueScript::new(include_str!("lua/unheld.lua")),
            register: QueueScript::new(include_str!("lua/register.lua")),
            scopes: QueueScript::new(include_str!("lua/scopes.lua")),
        }
    }
}

/// One operation's script: the prelude followed by its body.
pub(super) struct QueueScript(Script);

impl QueueScript {
    fn new(body: &str) -> QueueScript {
        QueueScript(Script::new(&format!("{PRELUDE}\n{body}")))
    }

    /// A call on the keys under `prefix`, to which the operation's own arguments are added.
    pub(super) fn call(&self, prefix: &str) -> Call<'_> {
        let mut invocation = self.0.prepare_invoke();
        invocation.arg(prefix).arg(random_id());
        Call { invocation }
    }
}

/// A script call being built.
pub(super) struct Call<'a> {
    invocation: ScriptInvocation<'a>,
}

impl Call<'_> {
    /// Adds the next argument (`ARGV[3]` onwards).
    pub(super) fn arg(&mut self, arg: impl ToRedisArgs) -> &mut Self {
        self.invocation.arg(arg);
        self
    }

    /// The invocation, to send after another command (a wait) on one connection.
    pub(super) fn invocation(&self) -> &ScriptInvocation<'_> {
        &self.invocation
    }

    /// Runs the script on `connection`.
    pub(super) async fn invoke(&self, mut connection: ConnectionManager) -> RedisResult<Value> {
        self.invocation.invoke_async(&mut connection).await
    }
}
