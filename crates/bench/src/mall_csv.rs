//! The Mall Customers CSV the S3 scenario uploads: the columns of Kaggle's
//! `Mall_Customers.csv`, rows of plausible values from a fixed sequence (the same file on
//! every run), as many whole rows as fit in a size.

use std::io::{self, Write};

/// The header line, as the `mall_customers` example expects it.
pub const HEADER: &str = "CustomerID,Gender,Age,Annual Income (k$),Spending Score (1-100)\n";

/// What [`write`] wrote.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Written {
    /// Customer rows, the header not counted.
    pub rows: usize,
    /// Bytes, the header included.
    pub bytes: u64,
}

/// Customer rows as CSV lines: ids from 1, gender `Male` or `Female`, age 18-70, annual
/// income 15-137 k$, spending score 1-100, drawn from a linear congruential generator with
/// a fixed seed.
#[derive(Debug, Clone)]
pub struct Rows {
    state: u64,
    next_id: u32,
}

impl Rows {
    /// The sequence from its start.
    pub fn new() -> Rows {
        Rows {
            state: 0x5eed_f00d,
            next_id: 1,
        }
    }

    /// A number below `modulo`.
    fn draw(&mut self, modulo: u64) -> u64 {
        self.state = self
            .state
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (self.state >> 33) % modulo
    }
}

impl Default for Rows {
    fn default() -> Self {
        Rows::new()
    }
}

impl Iterator for Rows {
    type Item = String;

    fn next(&mut self) -> Option<String> {
        let id = self.next_id;
        self.next_id = self.next_id.checked_add(1)?;
        let gender = if self.draw(2) == 0 { "Male" } else { "Female" };
        let age = 18 + self.draw(53);
        let income = 15 + self.draw(123);
        let score = 1 + self.draw(100);
        Some(format!("{id},{gender},{age},{income},{score}\n"))
    }
}

/// Write the header, then as many whole rows as keep the file within `max_bytes`, to `out`.
pub fn write(out: &mut impl Write, max_bytes: u64) -> io::Result<Written> {
    let mut written = Written {
        rows: 0,
        bytes: HEADER.len() as u64,
    };
    out.write_all(HEADER.as_bytes())?;
    for row in Rows::new() {
        let next = written.bytes + row.len() as u64;
        if next > max_bytes {
            break;
        }
        out.write_all(row.as_bytes())?;
        written.bytes = next;
        written.rows += 1;
    }
    Ok(written)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn csv(max_bytes: u64) -> (String, Written) {
        let mut out = Vec::new();
        let written = write(&mut out, max_bytes).expect("writing to memory");
        (String::from_utf8(out).expect("text"), written)
    }

    #[test]
    fn the_file_fills_its_size_with_whole_rows() {
        let (text, written) = csv(1_000_000);
        assert_eq!(written.bytes, text.len() as u64);
        assert!(written.bytes <= 1_000_000);
        assert!(written.bytes > 1_000_000 - 30, "{}", written.bytes);
        assert_eq!(written.rows, text.lines().count() - 1);
        assert!(text.ends_with('\n'));
        assert!(written.rows > 40_000, "{}", written.rows);
    }

    #[test]
    fn the_file_is_the_same_every_time_and_has_the_expected_header() {
        let (first, _) = csv(10_000);
        let (again, _) = csv(10_000);
        assert_eq!(first, again);
        assert!(first.starts_with(HEADER));
        let (shorter, _) = csv(5_000);
        assert!(first.starts_with(&shorter), "a smaller file is a prefix");
    }

    #[test]
    fn rows_hold_plausible_values() {
        let rows: Vec<String> = Rows::new().take(2_000).collect();
        let mut genders = std::collections::BTreeSet::new();
        for (i, row) in rows.iter().enumerate() {
            let fields: Vec<&str> = row.trim_end().split(',').collect();
            let number = |k: usize| fields[k].parse::<u32>().expect("a number");
            assert_eq!(fields.len(), 5, "{row}");
            assert_eq!(number(0) as usize, i + 1);
            genders.insert(fields[1].to_owned());
            assert!((18..=70).contains(&number(2)), "{row}");
            assert!((15..=137).contains(&number(3)), "{row}");
            assert!((1..=100).contains(&number(4)), "{row}");
        }
        assert_eq!(
            genders.into_iter().collect::<Vec<_>>(),
            ["Female".to_owned(), "Male".to_owned()]
        );
    }

    #[test]
    fn a_size_below_the_header_gives_the_header_alone() {
        let (text, written) = csv(10);
        assert_eq!(text, HEADER);
        assert_eq!(written.rows, 0);
    }
}
