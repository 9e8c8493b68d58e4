//! The store on both backends, written once: the SQL they run as is ([`sql`], and per
//! concern `*_sql`: assets, monitoring, notifications, retention, sealed values, tenancy;
//! each beside the public types of its name at the crate's top level), the way generic code
//! runs a statement on either ([`statement`]), and the [`Store`](crate::Store)
//! implementation of every [`Backend`](crate::backend::Backend) (`store_impl`, with its
//! transactions and the coordination of processes), so the two cannot drift apart. What
//! differs (pools and transactions, batched statements) each backend provides through the
//! `Backend` trait.

pub(crate) mod assemble;
pub(crate) mod assets_sql;
mod coordination;
pub(crate) mod monitoring_sql;
pub(crate) mod notifications_sql;
pub(crate) mod retention_sql;
pub(crate) mod row_macro;
pub(crate) mod sealed_sql;
pub(crate) mod sql;
pub(crate) mod sql_text;
pub(crate) mod state_sql;
pub(crate) mod statement;
mod store_impl;
mod tenancy_sql;
pub(crate) mod ti_columns;
pub(crate) mod transactions;
