//! Text others hand over, made fit to store and show: what a task says about how it ended (a
//! failure's message, a skip's reason), and what a worker reports beside it (an error class,
//! its id and host name) or a far server answers a notification with. It is theirs to choose,
//! so it is bounded, and NUL, which PostgreSQL's text cannot hold, becomes U+FFFD. Without
//! this, one task's words could fail the write of every result in its scheduler step.

/// Most bytes of a message that are kept; what is past them is counted, not kept.
pub const MAX_MESSAGE_BYTES: usize = 64 * 1024;

/// Room left, when what a guest says is bounded where it is said, for what its host adds
/// around it before it is stored (the failure's kind), so that it is not cut twice.
pub const HOST_ROOM_BYTES: usize = 1024;

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
