//! What a task says about how it ended (a failure's message, a skip's reason), made fit to
//! store and show: the text a guest or a worker hands over is theirs to choose, so it is
//! bounded, and NUL, which PostgreSQL's text cannot hold, becomes U+FFFD. Without this, one
//! task's words could fail the write of every result in its scheduler step.

/// Most bytes of a message that are kept; what is past them is counted, not kept.
pub const MAX_MESSAGE_BYTES: usize = 64 * 1024;

/// `text` as it is stored: NUL replaced by U+FFFD, and at most [`MAX_MESSAGE_BYTES`] of it
/// kept (cut at a character boundary) with a note of how much was left out.
pub fn storable(text: String) -> String {
    let text = if text.contains('\0') {
        text.replace('\0', "\u{FFFD}")
    } else {
        text
    };
    if text.len() <= MAX_MESSAGE_BYTES {
        return text;
    }
    let mut cut = MAX_MESSAGE_BYTES;
    while !text.is_char_boundary(cut) {
        cut -= 1;
    }
    format!(
        "{}… ({} more bytes not kept)",
        &text[..cut],
        text.len() - cut
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nul_becomes_the_replacement_character_and_the_rest_is_kept() {
        assert_eq!(storable("a\0b\0".into()), "a\u{FFFD}b\u{FFFD}");
        let plain = "line\nline\ttab \u{1} é".to_owned();
        assert_eq!(storable(plain.clone()), plain);
    }

    #[test]
    fn a_long_message_is_cut_at_a_character_boundary_saying_how_much_is_left_out() {
        let exact = "x".repeat(MAX_MESSAGE_BYTES);
        assert_eq!(storable(exact.clone()), exact);
        // "é" is two bytes: the limit falls inside one when one byte comes first.
        let long = format!("x{}", "é".repeat(MAX_MESSAGE_BYTES));
        let kept = storable(long.clone());
        let (head, note) = kept.split_once('…').expect("a note of what was cut");
        assert_eq!(head.len(), MAX_MESSAGE_BYTES - 1);
        assert!(long.starts_with(head));
        assert_eq!(
            note,
            format!(" ({} more bytes not kept)", long.len() - head.len())
        );
    }
}
