//! Sealing and opening, with the wrong key, tampered bytes and swapped bindings; rotation;
//! keys from settings and key files.

#![allow(clippy::unwrap_used)]

use super::*;

fn binding() -> Binding {
    Binding::new("default", "connection", "warehouse", "password")
}

#[test]
fn sealed_values_open_to_their_plaintext_and_never_contain_it() {
    let keyring = Keyring::new(SecretKey::generate(), Vec::new());
    let sealed = keyring.seal(&binding(), b"hunter2-hunter2").unwrap();
    assert_eq!(
        keyring.open(&binding(), &sealed).unwrap().as_slice(),
        b"hunter2-hunter2"
    );
    assert!(!sealed.windows(7).any(|w| w == b"hunter2"));
    assert_eq!(seal::sealed_key_id(&sealed), Some(keyring.current_id()));
    // A fresh nonce each time: the same value never seals to the same bytes.
    assert_ne!(
        keyring.seal(&binding(), b"hunter2-hunter2").unwrap(),
        sealed
    );
    // The empty value seals too.
    let empty = keyring.seal(&binding(), b"").unwrap();
    assert!(keyring.open(&binding(), &empty).unwrap().is_empty());
}

#[test]
fn the_wrong_key_is_named_by_id() {
    let sealer = Keyring::new(SecretKey::generate(), Vec::new());
    let other = Keyring::new(SecretKey::generate(), Vec::new());
    let sealed = sealer.seal(&binding(), b"v").unwrap();
    let err = other.open(&binding(), &sealed).unwrap_err();
    match &err {
        VaultError::UnknownKey { key_id, .. } => assert_eq!(*key_id, sealer.current_id()),
        other => panic!("{other:?}"),
    }
    let message = err.to_string();
    assert!(
        message.contains(&sealer.current_id().to_string()),
        "{message}"
    );
    assert!(message.contains("WEFT_SECRET_KEY"), "{message}");
    assert!(
        message.contains(&other.current_id().to_string()),
        "{message}"
    );
}

#[test]
fn a_key_that_claims_anothers_id_does_not_open() {
    let sealer = Keyring::new(SecretKey::generate(), Vec::new());
    let mut sealed = sealer.seal(&binding(), b"v").unwrap();
    let other = Keyring::new(SecretKey::generate(), Vec::new());
    // Relabel the value as sealed by the other key: its tag no longer matches.
    sealed[3..11].copy_from_slice(&other.current_id().0);
    let err = other.open(&binding(), &sealed).unwrap_err();
    assert!(matches!(err, VaultError::Tampered { .. }), "{err}");
}

#[test]
fn any_changed_byte_is_detected() {
    let keyring = Keyring::new(SecretKey::generate(), Vec::new());
    let sealed = keyring
        .seal(&binding(), b"a longer plaintext value")
        .unwrap();
    for i in seal::HEADER_BYTES - 24..sealed.len() {
        let mut tampered = sealed.clone();
        tampered[i] ^= 0x01;
        let err = keyring.open(&binding(), &tampered).unwrap_err();
        assert!(
            matches!(err, VaultError::Tampered { .. }),
            "byte {i}: {err}"
        );
    }
    let err = keyring
        .open(&binding(), &sealed[..sealed.len() - 1])
        .unwrap_err();
    assert!(matches!(err, VaultError::Tampered { .. }), "{err}");
}

#[test]
fn a_value_moved_to_another_row_does_not_open() {
    let keyring = Keyring::new(SecretKey::generate(), Vec::new());
    let sealed = keyring.seal(&binding(), b"v").unwrap();
    for moved in [
        Binding::new("other", "connection", "warehouse", "password"),
        Binding::new("default", "secret", "warehouse", "password"),
        Binding::new("default", "connection", "warehouse2", "password"),
        Binding::new("default", "connection", "warehouse", "extra"),
        // Length prefixes: shifting a byte between parts is another binding.
        Binding::new("default", "connectio", "nwarehouse", "password"),
    ] {
        let err = keyring.open(&moved, &sealed).unwrap_err();
        assert!(matches!(err, VaultError::Tampered { .. }), "{moved}: {err}");
        assert!(err.to_string().contains(&moved.to_string()), "{err}");
    }
}

#[test]
fn garbage_is_malformed() {
    let keyring = Keyring::new(SecretKey::generate(), Vec::new());
    for bytes in [
        &b""[..],
        b"WV1",
        b"plain text that is long enough to be a value.....",
    ] {
        let err = keyring.open(&binding(), bytes).unwrap_err();
        assert!(matches!(err, VaultError::Malformed { .. }), "{err}");
    }
}

#[test]
fn rotation_reseals_with_the_new_key_and_the_old_one_can_go() {
    let old = SecretKey::generate();
    let new = SecretKey::generate();
    let before = Keyring::new(old.clone(), Vec::new());
    let sealed = before.seal(&binding(), b"v1").unwrap();

    let during = Keyring::new(new.clone(), vec![old.clone()]);
    assert_eq!(during.ids(), vec![new.id(), old.id()]);
    assert_eq!(during.open(&binding(), &sealed).unwrap().as_slice(), b"v1");
    let resealed = during.reseal(&binding(), &sealed).unwrap().unwrap();
    assert_eq!(seal::sealed_key_id(&resealed), Some(new.id()));
    assert!(during.reseal(&binding(), &resealed).unwrap().is_none());

    let after = Keyring::new(new, Vec::new());
    assert_eq!(after.open(&binding(), &resealed).unwrap().as_slice(), b"v1");
    assert!(after.open(&binding(), &sealed).is_err());
}

#[test]
fn settings_name_the_variable_that_is_wrong() {
    let short = base64::Engine::encode(&base64::engine::general_purpose::STANDARD, [1u8; 31]);
    let settings = KeySettings {
        key: Some(short.clone()),
        ..KeySettings::default()
    };
    let err = settings.keyring().unwrap_err().to_string();
    assert!(
        err.starts_with("WEFT_SECRET_KEY must be the base64 of exactly 32 bytes, not 31"),
        "{err}"
    );

    let good = SecretKey::generate();
    let settings = KeySettings {
        key: Some(good.to_base64().to_string()),
        previous: Some(format!("{}, {short}", &*SecretKey::generate().to_base64())),
        ..KeySettings::default()
    };
    let err = settings.keyring().unwrap_err().to_string();
    assert!(
        err.starts_with("WEFT_SECRET_KEY_PREVIOUS (key 2) must be"),
        "{err}"
    );
    assert!(KeySettings::default().keyring().unwrap().is_none());
    assert!(!format!("{settings:?}").contains(&*good.to_base64()));
}

#[test]
fn standalone_generates_a_private_key_file_once() {
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path().join("home");
    let first = KeySettings::default().keyring_or_generate(&home).unwrap();
    let path = home.join(KEY_FILE_NAME);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
    }
    let second = KeySettings::default().keyring_or_generate(&home).unwrap();
    assert_eq!(first.current_id(), second.current_id());
    // The same file, named by WEFT_SECRET_KEY_FILE, gives the same key.
    let by_file = KeySettings {
        key_file: Some(path.clone()),
        ..KeySettings::default()
    };
    assert_eq!(
        by_file.keyring().unwrap().unwrap().current_id(),
        first.current_id()
    );
    // A configured key wins over the file.
    let configured = SecretKey::generate();
    let settings = KeySettings {
        key: Some(configured.to_base64().to_string()),
        ..KeySettings::default()
    };
    assert_eq!(
        settings.keyring_or_generate(&home).unwrap().current_id(),
        configured.id()
    );
    // No staging files are left behind.
    let names: Vec<_> = std::fs::read_dir(&home)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names, [std::ffi::OsString::from(KEY_FILE_NAME)]);
}

#[test]
fn a_missing_or_bad_key_file_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("nope.key");
    let settings = KeySettings {
        key_file: Some(missing.clone()),
        ..KeySettings::default()
    };
    let err = settings.keyring().unwrap_err().to_string();
    assert!(err.contains(&missing.display().to_string()), "{err}");
    let bad = dir.path().join("bad.key");
    std::fs::write(&bad, "c2hvcnQ=\n").unwrap();
    let settings = KeySettings {
        key_file: Some(bad.clone()),
        ..KeySettings::default()
    };
    let err = settings.keyring().unwrap_err().to_string();
    assert!(
        err.starts_with(&format!("key file {} must be the base64", bad.display())),
        "{err}"
    );
}
