//! SQL text made at compile time: [`sql!`] joins a statement's pieces with constants (the
//! lists of states by class, a row type's column list), and [`column_list!`] makes the
//! column list of a row type (`ti.id, ti.run, r.run_id, ...`) from the fields the row is
//! read into, so a statement's columns and its row type cannot differ. The results are
//! `&'static str` constants, as hand-written statements are.

/// `parts` joined, as one `&'static str`, at compile time: a statement written as its text
/// with the lists of states (or other constants) between its pieces.
macro_rules! sql {
    ($($part:expr),+ $(,)?) => {{
        const PARTS: &[&str] = &[$($part),+];
        const BYTES: [u8; $crate::both_backends::sql_text::joined_len(PARTS)] =
            $crate::both_backends::sql_text::joined(PARTS);
        $crate::both_backends::sql_text::text(&BYTES)
    }};
}
pub(crate) use sql;

/// The list of `columns`, each qualified by `table` (`ti.state`; none for `""`) unless
/// `elsewhere` names another table for it (`("run_id", "r")` makes `r.run_id`), joined by `, `.
macro_rules! column_list {
    ($columns:expr, $table:expr, $elsewhere:expr) => {{
        const ELSEWHERE: &[(&str, &str)] = $elsewhere;
        const BYTES: [u8; $crate::both_backends::sql_text::columns_len(
            $columns, $table, ELSEWHERE,
        )] = $crate::both_backends::sql_text::columns($columns, $table, ELSEWHERE);
        $crate::both_backends::sql_text::text(&BYTES)
    }};
}
pub(crate) use column_list;

/// The length of `parts` joined.
pub(crate) const fn joined_len(parts: &[&str]) -> usize {
    let mut len = 0;
    let mut i = 0;
    while i < parts.len() {
        len += parts[i].len();
        i += 1;
    }
    len
}

/// `parts` joined, as `N` ([`joined_len`]) bytes.
pub(crate) const fn joined<const N: usize>(parts: &[&str]) -> [u8; N] {
    let mut out = [0u8; N];
    let mut at = 0;
    let mut i = 0;
    while i < parts.len() {
        at = put(&mut out, at, parts[i].as_bytes());
        i += 1;
    }
    assert!(at == N, "joined parts of another length");
    out
}

/// The table `column` is read from: its entry in `elsewhere`, or `table`.
const fn table_of<'a>(column: &str, table: &'a str, elsewhere: &[(&str, &'a str)]) -> &'a str {
    let mut i = 0;
    while i < elsewhere.len() {
        if same(elsewhere[i].0, column) {
            return elsewhere[i].1;
        }
        i += 1;
    }
    table
}

/// Whether `a` and `b` are the same text.
pub(crate) const fn same(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    let mut i = 0;
    while i < a.len() {
        if a[i] != b[i] {
            return false;
        }
        i += 1;
    }
    true
}

/// The length of [`column_list!`]'s list.
pub(crate) const fn columns_len(
    columns: &[&str],
    table: &str,
    elsewhere: &[(&str, &str)],
) -> usize {
    let mut len = 0;
    let mut i = 0;
    while i < columns.len() {
        if i > 0 {
            len += 2;
        }
        let of = table_of(columns[i], table, elsewhere);
        len += of.len() + columns[i].len();
        if !of.is_empty() {
            len += 1; // the dot
        }
        i += 1;
    }
    len
}

/// [`column_list!`]'s list, as `N` ([`columns_len`]) bytes.
pub(crate) const fn columns<const N: usize>(
    columns: &[&str],
    table: &str,
    elsewhere: &[(&str, &str)],
) -> [u8; N] {
    let mut out = [0u8; N];
    let mut at = 0;
    let mut i = 0;
    while i < columns.len() {
        if i > 0 {
            at = put(&mut out, at, b", ");
        }
        let of = table_of(columns[i], table, elsewhere);
        if !of.is_empty() {
            at = put(&mut out, at, of.as_bytes());
            at = put(&mut out, at, b".");
        }
        at = put(&mut out, at, columns[i].as_bytes());
        i += 1;
    }
    assert!(at == N, "a column list of another length");
    out
}

/// Copies `bytes` into `out` at `at`; where the next bytes go.
pub(crate) const fn put(out: &mut [u8], at: usize, bytes: &[u8]) -> usize {
    let mut i = 0;
    while i < bytes.len() {
        out[at + i] = bytes[i];
        i += 1;
    }
    at + bytes.len()
}

/// `bytes` as text; they are joined `&str`s, so always UTF-8.
pub(crate) const fn text(bytes: &'static [u8]) -> &'static str {
    match std::str::from_utf8(bytes) {
        Ok(text) => text,
        Err(_) => panic!("joined SQL is not UTF-8"),
    }
}

#[cfg(test)]
mod tests {
    use crate::both_backends::state_sql::RUN_FINISHED;

    #[test]
    fn statements_join_their_parts() {
        const JOINED: &str = sql!("SELECT 1 WHERE state IN ", RUN_FINISHED, " AND 1 = 1");
        assert_eq!(
            JOINED,
            "SELECT 1 WHERE state IN ('success', 'failed') AND 1 = 1"
        );
    }

    #[test]
    fn column_lists_qualify_each_column() {
        const LIST: &str = column_list!(&["id", "run_id", "state"], "ti", &[("run_id", "r")]);
        assert_eq!(LIST, "ti.id, r.run_id, ti.state");
        const PLAIN: &str = column_list!(&["id", "state"], "", &[]);
        assert_eq!(PLAIN, "id, state");
    }
}
