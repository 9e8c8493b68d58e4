//! Text others hand over, made fit to store and show: what a task says about how it ended (a
//! failure's message, a skip's reason), and what a worker reports beside it (an error class,
//! its id and host name) or a far server answers a notification with. It is theirs to choose,
//! so it is bounded, and NUL, which PostgreSQL's text cannot hold, becomes U+FFFD. Without
//! this, one task's words could fail the write of every result in its scheduler step.
//!
//! Errors that quote what a client sent ([`quoted`]) and the error messages the API and the
//! CLI show ([`shown`]) are bounded here too, so that a 100,000-character id is not echoed
//! whole.

/// Most bytes of a message that are kept; what is past them is counted, not kept.
pub const MAX_MESSAGE_BYTES: usize = 64 * 1024;

/// Room left, when what a guest says is bounded where it is said, for what its host adds
/// around it before it is stored (the failure's kind), so that it is not cut twice.
pub const HOST_ROOM_BYTES: usize = 1024;

/// Most characters of a client's text an error quotes.
pub const MAX_QUOTED_CHARS: usize = 100;

/// Most bytes of an error message shown to a user (the API's error bodies, wfctl's errors).
pub const MAX_SHOWN_BYTES: usize = 2048;

/// `text` quoted (as `{:?}` quotes it) for an error message, with at most
/// [`MAX_QUOTED_CHARS`] of its characters and, when cut, how many it has in all.
pub fn quoted(text: &str) -> String {
    match text.char_indices().nth(MAX_QUOTED_CHARS) {
        None => format!("{text:?}"),
        Some((cut, _)) => format!("{:?}… ({} characters)", &text[..cut], text.chars().count()),
    }
}

/// An error `message` as it is shown: at most [`MAX_SHOWN_BYTES`] of it, cut at a
/// character boundary with a note of how much was left out.
pub fn shown(message: String) -> String {
    if message.len() <= MAX_SHOWN_BYTES {
        return message;
    }
    let mut cut = MAX_SHOWN_BYTES;
    while !message.is_char_boundary(cut) {
        cut -= 1;
    }
    format!(
        "{}… ({} more bytes not shown)",
        &message[..cut],
        message.len() - cut
    )
}

/// `text` as it is stored: NUL replaced by U+FFFD, and at most [`MAX_MESSAGE_BYTES`] of it
/// kept (cut at a character boundary) with a note of how much was left out.
pub fn storable(text: String) -> String {
    storable_within(text, MAX_MESSAGE_BYTES)
}

/// [`storable`], keeping at most `max` bytes.
pub fn storable_within(text: String, max: usize) -> String {
    let text = if text.contains('\0') {
        text.replace('\0', "\u{FFFD}")
    } else {
        text
    };
    if text.len() <= max {
        return text;
    }
    let mut cut = max;
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
    fn quotes_and_shown_messages_are_bounded() {
        assert_eq!(quoted("a\"b"), "\"a\\\"b\"");
        let long = "é".repeat(100_000);
        let q = quoted(&long);
        assert_eq!(
            q,
            format!("{:?}… (100000 characters)", "é".repeat(MAX_QUOTED_CHARS))
        );
        assert_eq!(
            quoted(&"x".repeat(MAX_QUOTED_CHARS)).len(),
            MAX_QUOTED_CHARS + 2
        );
        let message = format!("x{}", "é".repeat(MAX_SHOWN_BYTES));
        let s = shown(message.clone());
        assert!(s.len() < MAX_SHOWN_BYTES + 40, "{}", s.len());
        assert!(s.ends_with(" more bytes not shown)"), "{s}");
        assert_eq!(shown("short".into()), "short");
    }

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

    #[test]
    fn a_message_bounded_with_room_for_its_host_is_not_cut_again() {
        let within = MAX_MESSAGE_BYTES - HOST_ROOM_BYTES;
        let said = storable_within("x".repeat(100_000), within);
        let stored = storable(format!("task failed permanently: {said}"));
        assert_eq!(
            stored.matches("not kept").count(),
            1,
            "{}",
            &stored[stored.len() - 60..]
        );
        assert!(stored.ends_with(&format!("({} more bytes not kept)", 100_000 - within)));
    }
}
