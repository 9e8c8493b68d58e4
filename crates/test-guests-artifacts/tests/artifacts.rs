//! The build script's output: every guest is a component file, the extra byte strings are not.

use weft_test_guests_artifacts::{ALL_GUESTS, CORE_MODULE, NOOP, NOT_A_DAG, NOT_WASM};

const MAGIC: &[u8] = b"\0asm";
/// Bytes 4..8 of a component: version 0x0d and layer 1 (a core module has version 1, layer 0).
const COMPONENT_VERSION_LAYER: &[u8] = &[0x0d, 0x00, 0x01, 0x00];

fn is_component(bytes: &[u8]) -> bool {
    bytes.len() >= 8 && &bytes[..4] == MAGIC && &bytes[4..8] == COMPONENT_VERSION_LAYER
}

fn read(path: &str) -> Vec<u8> {
    std::fs::read(path).unwrap_or_else(|e| panic!("guest component {path} unreadable: {e}"))
}

#[test]
fn every_guest_is_a_component_file() {
    assert!(!ALL_GUESTS.is_empty());
    for (name, path) in ALL_GUESTS {
        let bytes = read(path);
        assert!(path.ends_with(&format!("/{name}.wasm")), "{name}: {path}");
        assert_eq!(
            &bytes[..4],
            MAGIC,
            "{name} does not start with the wasm magic"
        );
        assert_eq!(
            &bytes[4..8],
            COMPONENT_VERSION_LAYER,
            "{name} is not a component"
        );
    }
}

#[test]
fn every_bin_of_the_guest_crate_is_listed() {
    let bin_dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../test-guests/src/bin");
    let mut bins: Vec<String> = std::fs::read_dir(bin_dir)
        .unwrap_or_else(|e| panic!("listing {bin_dir}: {e}"))
        .filter_map(|entry| {
            let name = entry.ok()?.file_name().into_string().ok()?;
            name.strip_suffix(".rs").map(str::to_owned)
        })
        .collect();
    bins.sort();
    let listed: Vec<&str> = ALL_GUESTS.iter().map(|(name, _)| *name).collect();
    assert_eq!(bins, listed);
}

#[test]
fn foreach_guest_names_every_guest_once() {
    let mut named = Vec::new();
    macro_rules! collect {
        ($name:ident) => {
            named.push(stringify!($name));
        };
    }
    weft_test_guests_artifacts::foreach_guest!(collect);
    let listed: Vec<&str> = ALL_GUESTS.iter().map(|(name, _)| *name).collect();
    assert_eq!(named, listed);
}

#[test]
fn only_dag_guests_carry_the_dag_world() {
    let contains =
        |haystack: &[u8], needle: &[u8]| haystack.windows(needle.len()).any(|w| w == needle);
    assert!(contains(&read(NOOP), b"weft:dag"));
    assert!(!contains(&read(NOT_A_DAG), b"weft:dag"));
}

#[test]
fn core_module_is_wasm_but_not_a_component() {
    assert_eq!(&CORE_MODULE[..4], MAGIC);
    assert!(!is_component(CORE_MODULE));
}

#[test]
fn not_wasm_is_neither() {
    assert!(!NOT_WASM.starts_with(MAGIC));
    assert!(!is_component(NOT_WASM));
    assert!(std::str::from_utf8(NOT_WASM).is_ok());
}
