//! [`row!`]: a struct read from a result row by its columns' names, on either backend.

/// Declare a struct and read it from a row of any backend, each field from the column of its
/// name (what sqlx's `FromRow` derive does, without its procedural macro, which would build
/// every database driver a second time for the compiler).
macro_rules! row {
    (
        $(#[$meta:meta])*
        $vis:vis struct $name:ident {
            $($(#[$field_meta:meta])* $field_vis:vis $field:ident: $ty:ty),* $(,)?
        }
    ) => {
        $(#[$meta])*
        $vis struct $name {
            $($(#[$field_meta])* $field_vis $field: $ty),*
        }

        impl $name {
            /// The columns the row is read from: its fields' names, in order.
            #[allow(dead_code)]
            pub(crate) const COLUMNS: &'static [&'static str] = &[$(stringify!($field)),*];
        }

        impl<'r, R: sqlx::Row> sqlx::FromRow<'r, R> for $name
        where
            &'r str: sqlx::ColumnIndex<R>,
            $($ty: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,)*
        {
            fn from_row(row: &'r R) -> Result<Self, sqlx::Error> {
                Ok(Self {
                    $($field: row.try_get(stringify!($field))?),*
                })
            }
        }
    };
}

pub(crate) use row;
