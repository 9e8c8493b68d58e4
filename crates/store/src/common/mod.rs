//! What both backends share: the SQL they run as is ([`sql`]) and the [`Store`](crate::Store)
//! implementation built from it ([`impl_store!`]), so the two cannot drift apart. What differs
//! (pools and transactions, batched statements) each backend provides itself.

pub(crate) mod assemble;
mod coordination;
pub(crate) mod sql;
mod store_impl;
pub(crate) mod transactions;

pub(crate) use coordination::impl_coordination;
pub(crate) use store_impl::impl_store;
