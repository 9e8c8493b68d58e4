//! A never-seen component: an existing one with a custom section appended, so that its
//! digest is new while its code and DAG stay the same.

/// `wasm` with a custom section `name` holding `payload` appended. Custom sections may
/// follow any section of a component or module, and hosts ignore them.
pub fn with_custom_section(wasm: &[u8], name: &str, payload: &[u8]) -> Vec<u8> {
    let mut body = leb128(name.len() as u64);
    body.extend_from_slice(name.as_bytes());
    body.extend_from_slice(payload);
    let mut out = Vec::with_capacity(wasm.len() + body.len() + 6);
    out.extend_from_slice(wasm);
    out.push(0); // section id 0: custom
    out.extend(leb128(body.len() as u64));
    out.extend(body);
    out
}

/// `value` as unsigned LEB128.
pub fn leb128(mut value: u64) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let byte = (value & 0x7f) as u8;
        value >>= 7;
        if value == 0 {
            out.push(byte);
            return out;
        }
        out.push(byte | 0x80);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn leb128_encodes_like_the_spec() {
        assert_eq!(leb128(0), [0]);
        assert_eq!(leb128(127), [0x7f]);
        assert_eq!(leb128(128), [0x80, 0x01]);
        assert_eq!(leb128(624_485), [0xe5, 0x8e, 0x26]);
    }

    #[test]
    fn the_section_is_appended_with_its_length() {
        let out = with_custom_section(b"\0asm", "n", b"xy");
        assert_eq!(out, b"\0asm\0\x04\x01nxy");
    }

    #[test]
    fn a_component_with_a_nonce_loads_with_a_new_digest_and_the_same_dag() {
        let runtime =
            weft_runtime::Runtime::new(weft_runtime::RuntimeConfig::default()).expect("runtime");
        let original = std::fs::read(weft_test_guests_artifacts::NOOP).expect("guest");
        let changed = with_custom_section(&original, "weft-bench-nonce", b"12345");
        let a = runtime.load(&original).expect("original loads");
        let b = runtime.load(&changed).expect("changed loads");
        assert_ne!(a.digest(), b.digest());
        assert_eq!(a.dag().id(), b.dag().id());
        let broken = &changed[..changed.len() - 1];
        assert!(runtime.load(broken).is_err());
    }
}
