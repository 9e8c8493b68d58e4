//! [`Headers`]: the header fields of a request or response, names in lower case.

/// Header fields, in order, with names in lower case (HTTP names are case-insensitive).
/// A name may appear more than once.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Headers {
    entries: Vec<(String, Vec<u8>)>,
}

impl Headers {
    /// No headers.
    pub fn new() -> Self {
        Self::default()
    }

    /// The first value of `name`, if it is there and is text.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.get_bytes(name)
            .and_then(|v| std::str::from_utf8(v).ok())
    }

    /// The first value of `name`, as bytes.
    pub fn get_bytes(&self, name: &str) -> Option<&[u8]> {
        self.get_all(name).next()
    }

    /// Every value of `name`, in order.
    pub fn get_all<'h>(&'h self, name: &str) -> impl Iterator<Item = &'h [u8]> + 'h {
        let name = name.to_ascii_lowercase();
        self.entries
            .iter()
            .filter(move |(n, _)| *n == name)
            .map(|(_, v)| v.as_slice())
    }

    /// Whether `name` has a value.
    pub fn contains(&self, name: &str) -> bool {
        self.get_bytes(name).is_some()
    }

    /// Set `name` to `value`, replacing every earlier value.
    pub fn insert(&mut self, name: &str, value: impl AsRef<[u8]>) {
        self.remove(name);
        self.append(name, value);
    }

    /// Add a value of `name`, keeping earlier ones.
    pub fn append(&mut self, name: &str, value: impl AsRef<[u8]>) {
        self.entries
            .push((name.to_ascii_lowercase(), value.as_ref().to_vec()));
    }

    /// Remove every value of `name`.
    pub fn remove(&mut self, name: &str) {
        let name = name.to_ascii_lowercase();
        self.entries.retain(|(n, _)| *n != name);
    }

    /// Every (name, value) pair, in order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &[u8])> {
        self.entries.iter().map(|(n, v)| (n.as_str(), v.as_slice()))
    }

    /// Number of (name, value) pairs.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    pub(crate) fn into_entries(self) -> Vec<(String, Vec<u8>)> {
        self.entries
    }

    pub(crate) fn from_entries(entries: Vec<(String, Vec<u8>)>) -> Self {
        let mut headers = Self::new();
        for (name, value) in entries {
            headers.append(&name, value);
        }
        headers
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_case_insensitive_and_values_ordered() {
        let mut h = Headers::new();
        h.append("Set-Cookie", "a=1");
        h.append("set-cookie", "b=2");
        h.insert("Content-Type", "text/csv");
        assert_eq!(h.get("SET-COOKIE"), Some("a=1"));
        assert_eq!(
            h.get_all("set-cookie").collect::<Vec<_>>(),
            [b"a=1", b"b=2"]
        );
        assert_eq!(h.get("content-type"), Some("text/csv"));
        h.insert("content-type", "application/json");
        assert_eq!(h.get_all("Content-Type").count(), 1);
        assert_eq!(h.get("content-type"), Some("application/json"));
        h.remove("SET-cookie");
        assert!(!h.contains("set-cookie"));
        assert_eq!(h.len(), 1);
        assert_eq!(
            h.iter().collect::<Vec<_>>(),
            [("content-type", &b"application/json"[..])]
        );
    }

    #[test]
    fn values_that_are_not_text_are_only_bytes() {
        let h = Headers::from_entries(vec![("X-Bin".into(), vec![0xff, 0xfe])]);
        assert_eq!(h.get("x-bin"), None);
        assert_eq!(h.get_bytes("x-bin"), Some(&[0xff, 0xfe][..]));
    }
}
