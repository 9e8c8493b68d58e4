//! The schema's migrations, embedded at compile time: `build.rs` lists
//! `migrations/<backend>/` by sqlx's rules for a directory of migrations, and each becomes an
//! sqlx [`Migration`] with the checksum sqlx computes, so a database migrated by either way
//! is up to date for the other.

use std::borrow::Cow;

use sqlx::migrate::{Migration, MigrationType, Migrator};

/// One migration file: its version, its description (the file name's rest, `_` as a space)
/// and its SQL.
pub(crate) struct Embedded {
    version: i64,
    description: &'static str,
    sql: &'static str,
}

include!(concat!(env!("OUT_DIR"), "/migrations.rs"));

/// The migrator of `embedded`, as sqlx would resolve them from their directory.
pub(crate) fn migrator(embedded: &'static [Embedded]) -> Migrator {
    Migrator::with_migrations(
        embedded
            .iter()
            .map(|m| {
                Migration::new(
                    m.version,
                    Cow::Borrowed(m.description),
                    MigrationType::Simple,
                    sqlx::SqlSafeStr::into_sql_str(m.sql),
                    // sqlx's mark of a migration run outside a transaction.
                    m.sql.starts_with("-- no-transaction"),
                )
            })
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What sqlx reads from the directory, each migration's version, description,
    /// checksum and transaction mode.
    async fn from_directory(backend: &str) -> Vec<(i64, String, Vec<u8>, bool)> {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("migrations")
            .join(backend);
        let migrator = Migrator::new(dir).await.expect("sqlx reads the directory");
        summary(&migrator)
    }

    fn summary(migrator: &Migrator) -> Vec<(i64, String, Vec<u8>, bool)> {
        migrator
            .iter()
            .map(|m| {
                (
                    m.version,
                    m.description.to_string(),
                    m.checksum.to_vec(),
                    m.no_tx,
                )
            })
            .collect()
    }

    #[tokio::test]
    async fn the_embedded_migrations_are_what_sqlx_reads_from_their_directories() {
        for (backend, embedded) in [("postgres", POSTGRES), ("sqlite", SQLITE)] {
            let expected = from_directory(backend).await;
            assert!(expected.len() > 10, "{backend}: {expected:?}");
            assert_eq!(summary(&migrator(embedded)), expected, "{backend}");
        }
    }
}
