//! [`fill`]: a document's template with its placeholders (`{{name}}`) replaced, each by
//! what a lookup gives for its name. `BENCHMARKS.md`'s prose lives in
//! `BENCHMARKS.template.md`; [`crate::markdown`] says what each placeholder stands for.

/// Why a template could not be filled.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum TemplateError {
    /// A placeholder names nothing the lookup knows.
    #[error("unknown placeholder {{{{{name}}}}} in the template")]
    Unknown {
        /// The placeholder's name.
        name: String,
    },
    /// `{{` without its `}}`.
    #[error("a placeholder opened at byte {at} of the template is not closed")]
    Unclosed {
        /// Where it opens.
        at: usize,
    },
}

/// `template` with every `{{name}}` replaced by `lookup(name)`.
pub fn fill(
    template: &str,
    lookup: impl Fn(&str) -> Option<String>,
) -> Result<String, TemplateError> {
    let mut out = String::with_capacity(template.len() * 2);
    let mut rest = template;
    while let Some(start) = rest.find("{{") {
        out.push_str(&rest[..start]);
        let at = template.len() - rest.len() + start;
        let after = &rest[start + 2..];
        let end = after.find("}}").ok_or(TemplateError::Unclosed { at })?;
        let name = after[..end].trim();
        let value = lookup(name).ok_or_else(|| TemplateError::Unknown {
            name: name.to_owned(),
        })?;
        out.push_str(&value);
        rest = &after[end + 2..];
    }
    out.push_str(rest);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lookup(name: &str) -> Option<String> {
        match name {
            "date" => Some("2026-11-29".to_owned()),
            "table:x" => Some("| a |\n|---|\n".to_owned()),
            _ => None,
        }
    }

    #[test]
    fn placeholders_are_replaced_and_the_prose_kept() {
        let filled = fill("Run on {{date}}.\n\n{{ table:x }}\nEnd.", lookup).expect("filled");
        assert_eq!(filled, "Run on 2026-11-29.\n\n| a |\n|---|\n\nEnd.");
        assert_eq!(
            fill("no placeholders", lookup).as_deref(),
            Ok("no placeholders")
        );
    }

    #[test]
    fn an_unknown_or_unclosed_placeholder_is_an_error_naming_it() {
        let e = fill("a {{nope}} b", lookup).expect_err("unknown");
        assert_eq!(
            e.to_string(),
            "unknown placeholder {{nope}} in the template"
        );
        assert_eq!(
            fill("a {{date", lookup),
            Err(TemplateError::Unclosed { at: 2 })
        );
    }
}
