//! What both backends share: the SQL they run as is ([`sql`]), the way generic code runs
//! a statement on either ([`statement`]), and the [`Store`](crate::Store) implementation of
//! every [`Backend`](crate::backend::Backend) (`store_impl`, with its transactions and the
//! coordination of processes), so the two cannot drift apart. What differs (pools and
//! transactions, batched statements) each backend provides through the `Backend` trait.

pub(crate) mod assemble;
pub(crate) mod assets;
mod coordination;
pub(crate) mod monitoring;
pub(crate) mod notifications;
pub(crate) mod retention;
pub(crate) mod row;
pub(crate) mod sealed;
pub(crate) mod sql;
pub(crate) mod sql_text;
pub(crate) mod state_sql;
pub(crate) mod statement;
mod store_impl;
mod tenancy;
pub(crate) mod ti_columns;
pub(crate) mod transactions;
