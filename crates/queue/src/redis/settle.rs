//! Acknowledging, extending and releasing deliveries: the ids grouped by the scope they
//! name, one script call per scope (sent together), the lost ids merged back in the caller's
//! order.

use std::collections::BTreeMap;

use crate::error::QueueError;
use crate::message::DeliveryId;
use crate::scope;

use super::scripts::{Call, QueueScript};
use super::{Pending, RedisQueue, join, reply};

/// The ids of one scope: their positions among the caller's ids, and their text as the
/// scope's script knows them (without the scope).
#[derive(Default)]
struct ScopeIds<'a> {
    positions: Vec<usize>,
    local: Vec<&'a str>,
}

impl RedisQueue {
    /// Runs an ack, extend or release `script` (with `lease` before the ids, for extend)
    /// over `ids`: the ids whose lease was lost, in the order given.
    pub(super) async fn settle(
        &self,
        operation: &'static str,
        script: &QueueScript,
        lease: Option<u64>,
        ids: &[DeliveryId],
    ) -> Result<Vec<DeliveryId>, QueueError> {
        let mut by_scope: BTreeMap<Option<&str>, ScopeIds<'_>> = BTreeMap::new();
        let mut lost: Vec<usize> = Vec::new();
        for (position, id) in ids.iter().enumerate() {
            let Some((scope, local)) = scope::split_id(id.as_str()) else {
                lost.push(position);
                continue;
            };
            let group = by_scope.entry(scope).or_default();
            group.positions.push(position);
            group.local.push(local);
        }
        let calls: Vec<Pending<'_, Vec<usize>>> = by_scope
            .into_iter()
            .map(|(scope, group)| -> Pending<'_, Vec<usize>> {
                Box::pin(async move {
                    let args = |call: &mut Call<'_>| {
                        if let Some(lease) = lease {
                            call.arg(lease);
                        }
                        for id in &group.local {
                            call.arg(*id);
                        }
                    };
                    let value = self.run(operation, script, scope, args).await?;
                    let lost = reply::lost(value, group.local.len())
                        .map_err(|e| e.into_error(operation))?;
                    Ok(lost.into_iter().map(|i| group.positions[i]).collect())
                })
            })
            .collect();
        lost.extend(join::try_join_all(calls).await?.into_iter().flatten());
        lost.sort_unstable();
        Ok(lost.into_iter().map(|i| ids[i].clone()).collect())
    }
}
