//! Mapped tasks (Airflow's dynamic task mapping): one task instance per item of a list known
//! at run time (an upstream task's output) or when the DAG is built.

use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::bindings::weft::dag::types as wit;
use crate::context::{Context, decode};
use crate::error::TaskError;
use crate::task::TaskRef;

/// What a mapped task expands over.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Expand {
    /// The output of this direct upstream task, a JSON array.
    Upstream(String),
    /// These items, each a JSON document.
    Items(Vec<Vec<u8>>),
}

impl Expand {
    pub(crate) fn to_wit(&self) -> wit::Expand {
        match self {
            Expand::Upstream(id) => wit::Expand::Upstream(id.clone()),
            Expand::Items(items) => wit::Expand::Items(items.clone()),
        }
    }
}

impl<'d> TaskRef<'d> {
    /// Map the task over the output of `upstream`, which must be a JSON array: the task runs
    /// once per item, and reads it with [`Context::map_item`]. `upstream` becomes a direct
    /// upstream task (the edge `upstream >> self` is recorded). A downstream task reads the
    /// outputs of all the instances, in map index order, as one JSON array:
    /// `ctx.upstream::<Vec<T>>(task_id)`.
    ///
    /// ```
    /// use weft_sdk::prelude::*;
    ///
    /// let dag = Dag::new("files");
    /// let list = dag.task("list", |_: &Context| Ok(vec!["a.csv", "b.csv"]));
    /// let size = dag
    ///     .task("size", |ctx: &Context| -> TaskResult<usize> {
    ///         let file: String = ctx.map_item()?.ok_or_else(|| TaskError::permanent("not mapped"))?;
    ///         Ok(file.len())
    ///     })
    ///     .expand_over(list);
    /// let total = dag.task("total", |ctx: &Context| -> TaskResult<usize> {
    ///     let sizes: Vec<usize> = ctx.upstream("size")?.unwrap_or_default();
    ///     Ok(sizes.iter().sum())
    /// });
    /// let _ = size >> total;
    /// assert_eq!(dag.upstream_of("size"), Some(vec!["list".to_owned()]));
    /// ```
    pub fn expand_over(self, upstream: TaskRef<'_>) -> Self {
        let upstream_id = upstream.id();
        self.add_upstream(upstream)
            .update_entry(|task| task.expand = Some(Expand::Upstream(upstream_id)))
    }

    /// Map the task over `items`, known when the DAG is built: the task runs once per item,
    /// and reads it with [`Context::map_item`]. Items are JSON values: numbers, strings,
    /// `json!(...)` documents, or anything `serde_json::to_value` made.
    ///
    /// ```
    /// use weft_sdk::prelude::*;
    ///
    /// let dag = Dag::new("regions");
    /// dag.task("load", |ctx: &Context| -> TaskResult<()> {
    ///     let region: Option<String> = ctx.map_item()?;
    ///     info!("instance {:?} loads {region:?}", ctx.map_index());
    ///     Ok(())
    /// })
    /// .expand_items(["eu", "us"]);
    /// ```
    pub fn expand_items<I>(self, items: I) -> Self
    where
        I: IntoIterator,
        I::Item: Into<Value>,
    {
        // A `Value` always encodes: its text is the JSON document.
        let items = items
            .into_iter()
            .map(|item| item.into().to_string().into_bytes())
            .collect();
        self.update_entry(|task| task.expand = Some(Expand::Items(items)))
    }
}

impl Context {
    /// The instance's map index (from 0) when the task is mapped, else none.
    pub fn map_index(&self) -> Option<u32> {
        self.info().map_index
    }

    /// The instance's item when the task is mapped, decoded from JSON; none when the task is
    /// not mapped. An item that does not fit `T` is a permanent error naming the task and the
    /// index.
    pub fn map_item<T: DeserializeOwned>(&self) -> Result<Option<T>, TaskError> {
        let info = self.info();
        info.map_item
            .as_deref()
            .map(|item| {
                let index = info
                    .map_index
                    .map_or_else(|| "?".to_owned(), |i| i.to_string());
                decode(
                    item,
                    &format!("the map item of task `{}` (index {index})", info.task_id),
                )
            })
            .transpose()
    }
}
