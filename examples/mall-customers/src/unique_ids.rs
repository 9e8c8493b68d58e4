//! Finding the first customer id used twice, in 4 bytes a row: ids are kept, lines only where
//! blank lines break the count. Pure: no host calls.

use std::collections::{HashMap, HashSet};

use crate::csv::CsvError;

/// The ids of the rows read so far, with their lines.
#[derive(Debug, Default)]
pub struct UniqueIds {
    ids: Vec<u32>,
    lines: LineMap,
    /// Whether every id is above the one before, as in a file sorted by id: then none repeats.
    increasing: bool,
}

impl UniqueIds {
    /// Room for `rows` ids.
    pub fn with_capacity(rows: usize) -> Self {
        Self {
            ids: Vec::with_capacity(rows),
            lines: LineMap::default(),
            increasing: true,
        }
    }

    /// The next row's id, on line `line`.
    pub fn push(&mut self, id: u32, line: usize) {
        self.increasing &= self.ids.last().is_none_or(|&last| last < id);
        self.lines.push(self.ids.len(), line);
        self.ids.push(id);
    }

    /// Rows pushed.
    pub fn len(&self) -> usize {
        self.ids.len()
    }

    /// Whether no row was pushed.
    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }

    /// The first row, in file order, whose id an earlier row has.
    pub fn first_repeat(&self) -> Option<CsvError> {
        if self.increasing {
            return None;
        }
        let mut sorted = self.ids.clone();
        sorted.sort_unstable();
        let repeated: HashSet<u32> = sorted
            .windows(2)
            .filter(|w| w[0] == w[1])
            .map(|w| w[0])
            .collect();
        drop(sorted);
        let mut first_row: HashMap<u32, usize> = HashMap::new();
        for (row, id) in self.ids.iter().enumerate() {
            if !repeated.contains(id) {
                continue;
            }
            if let Some(&first) = first_row.get(id) {
                return Some(CsvError::DuplicateId {
                    line: self.lines.line_of(row),
                    id: *id,
                    first_line: self.lines.line_of(first),
                });
            }
            first_row.insert(*id, row);
        }
        None
    }
}

/// The line of each row, stored as runs of consecutive lines: one entry for a file without
/// blank lines.
#[derive(Debug, Default)]
struct LineMap {
    /// `(first row, its line)` of each run, by row.
    runs: Vec<(usize, usize)>,
}

impl LineMap {
    fn push(&mut self, row: usize, line: usize) {
        if self.runs.last().map(|&(r, l)| l + (row - r)) != Some(line) {
            self.runs.push((row, line));
        }
    }

    fn line_of(&self, row: usize) -> usize {
        let run = self.runs.partition_point(|&(r, _)| r <= row);
        match run.checked_sub(1).map(|i| self.runs[i]) {
            Some((first_row, line)) => line + (row - first_row),
            None => 0,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(rows: &[(u32, usize)]) -> UniqueIds {
        let mut ids = UniqueIds::with_capacity(rows.len());
        for &(id, line) in rows {
            ids.push(id, line);
        }
        ids
    }

    #[test]
    fn distinct_ids_in_any_order_are_fine() {
        assert_eq!(ids(&[]).first_repeat(), None);
        assert_eq!(ids(&[(1, 2), (2, 3), (9, 4)]).first_repeat(), None);
        assert_eq!(ids(&[(9, 2), (1, 3), (5, 4)]).first_repeat(), None);
    }

    #[test]
    fn reports_the_first_repeat_in_file_order_with_both_lines() {
        // 7 repeats later in the file than 3 does, though 7's first use comes first.
        let rows = [(7, 2), (3, 3), (5, 5), (3, 6), (7, 7)];
        assert_eq!(
            ids(&rows).first_repeat(),
            Some(CsvError::DuplicateId {
                line: 6,
                id: 3,
                first_line: 3
            })
        );
    }

    #[test]
    fn lines_follow_blank_lines() {
        let map = {
            let mut map = LineMap::default();
            for (row, line) in [(0, 2), (1, 3), (2, 6), (3, 7), (4, 9)] {
                map.push(row, line);
            }
            map
        };
        assert_eq!(map.runs, [(0, 2), (2, 6), (4, 9)]);
        let lines: Vec<usize> = (0..5).map(|row| map.line_of(row)).collect();
        assert_eq!(lines, [2, 3, 6, 7, 9]);
    }
}
