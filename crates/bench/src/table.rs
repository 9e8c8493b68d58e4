//! [`Table`]: rows of text cells, rendered as an aligned text table or a Markdown table.

/// A table: a header and rows of cells.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Table {
    /// Column titles.
    pub header: Vec<String>,
    /// Rows; a short row is padded with empty cells.
    pub rows: Vec<Vec<String>>,
}

impl Table {
    /// A table with these column titles and no rows.
    pub fn new(header: &[&str]) -> Table {
        Table {
            header: header.iter().map(|h| (*h).to_owned()).collect(),
            rows: Vec::new(),
        }
    }

    /// Append a row.
    pub fn push(&mut self, row: Vec<String>) {
        self.rows.push(row);
    }

    fn columns(&self) -> usize {
        self.rows
            .iter()
            .map(Vec::len)
            .chain([self.header.len()])
            .max()
            .unwrap_or(0)
    }

    fn cell(row: &[String], i: usize) -> &str {
        row.get(i).map_or("", String::as_str)
    }

    /// Aligned plain text: columns padded to their widest cell, separated by two spaces,
    /// a rule under the header.
    pub fn text(&self) -> String {
        let n = self.columns();
        let width = |i: usize| {
            self.rows
                .iter()
                .chain([&self.header])
                .map(|r| Self::cell(r, i).chars().count())
                .max()
                .unwrap_or(0)
        };
        let widths: Vec<usize> = (0..n).map(width).collect();
        let line = |row: &[String]| {
            let cells: Vec<String> = (0..n)
                .map(|i| {
                    let cell = Self::cell(row, i);
                    let pad = widths[i] - cell.chars().count();
                    format!("{cell}{}", " ".repeat(pad))
                })
                .collect();
            cells.join("  ").trim_end().to_owned()
        };
        let mut out = line(&self.header);
        out.push('\n');
        let rule: Vec<String> = widths.iter().map(|w| "-".repeat(*w)).collect();
        out.push_str(&rule.join("  "));
        out.push('\n');
        for row in &self.rows {
            out.push_str(&line(row));
            out.push('\n');
        }
        out
    }

    /// A GitHub-flavoured Markdown table; `|` in cells is escaped.
    pub fn markdown(&self) -> String {
        let n = self.columns();
        let line = |row: &[String]| {
            let cells: Vec<String> = (0..n)
                .map(|i| Self::cell(row, i).replace('|', "\\|").replace('\n', " "))
                .collect();
            format!("| {} |\n", cells.join(" | "))
        };
        let mut out = line(&self.header);
        out.push_str(&format!("|{}\n", "---|".repeat(n)));
        for row in &self.rows {
            out.push_str(&line(row));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Table {
        let mut t = Table::new(&["Scenario", "Figure"]);
        t.push(vec!["chain40".into(), "12 ms".into()]);
        t.push(vec!["round trip p50".into(), "0.42 ms".into()]);
        t
    }

    #[test]
    fn text_columns_are_aligned() {
        let text = sample().text();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], "Scenario        Figure");
        assert_eq!(lines[1], "--------------  -------");
        assert_eq!(lines[2], "chain40         12 ms");
        assert_eq!(lines[3], "round trip p50  0.42 ms");
    }

    #[test]
    fn wide_characters_count_once() {
        let mut t = Table::new(&["a", "b"]);
        t.push(vec!["≤ 20 ms".into(), "x".into()]);
        let text = t.text();
        assert_eq!(text.lines().nth(2), Some("≤ 20 ms  x"));
    }

    #[test]
    fn markdown_has_a_separator_and_escapes_pipes() {
        let mut t = sample();
        t.push(vec!["a|b".into()]);
        let md = t.markdown();
        let lines: Vec<&str> = md.lines().collect();
        assert_eq!(lines[0], "| Scenario | Figure |");
        assert_eq!(lines[1], "|---|---|");
        assert_eq!(lines[2], "| chain40 | 12 ms |");
        assert_eq!(lines[4], "| a\\|b |  |");
    }
}
