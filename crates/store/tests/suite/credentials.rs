//! Connections and secrets through [`Credentials`]: sealed in the store, opened above it;
//! the key check at start; rotation; the store refusing plaintext and swapped rows.

use std::sync::Arc;

use serde_json::json;
use weft_protocol::Connection;
use weft_store::{Credentials, CredentialsError, DEFAULT_TENANT, SealedSecret, Store, StoreError};
use weft_vault::{Keyring, SecretKey, VaultError};

use super::ts;

/// Run each test against a fresh store shared as `Arc<dyn Store>` (`$fresh().shared()`).
#[macro_export]
macro_rules! credentials_tests {
    ($fresh:path) => {
        mod credentials {
            $crate::credentials_tests!(@each $fresh;
                connections_and_secrets_round_trip, the_store_refuses_plaintext,
                a_value_moved_to_another_row_does_not_open, the_wrong_key_fails_the_check,
                rotation_leaves_every_value_readable_with_the_new_key_alone,
                attempts_are_read_with_their_runs_digest, grants_follow_declarations_and_leases,
            );
        }
    };
    (@each $fresh:path; $($name:ident),* $(,)?) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() {
                let fresh = $fresh().await;
                $crate::suite::credentials::$name(fresh.shared()).await;
            }
        )*
    };
}

pub const PASSWORD: &str = "pw-Zq8vJ3kLmN0pX";
pub const SECRET: &str = "token-Hf7sQ2wEr9yU";
pub const EXTRA_TOKEN: &str = "extra-Kd4nB6vC1xZ";

fn keyring(key: &SecretKey, previous: &[&SecretKey]) -> Keyring {
    Keyring::new(key.clone(), previous.iter().map(|k| (*k).clone()).collect())
}

pub fn warehouse() -> Connection {
    Connection {
        conn_id: "warehouse".into(),
        conn_type: "postgres".into(),
        host: Some("db.internal".into()),
        port: Some(5432),
        schema: Some("analytics".into()),
        login: Some("etl".into()),
        password: Some(PASSWORD.into()),
        extra: json!({"sslmode": "require", "token": EXTRA_TOKEN}),
    }
}

/// Store the warehouse connection and the `api_token` secret with `credentials`.
pub async fn store_both(credentials: &Credentials) {
    assert!(
        credentials
            .put_connection(
                DEFAULT_TENANT,
                warehouse(),
                Some("the warehouse".into()),
                ts(1)
            )
            .await
            .unwrap()
    );
    assert!(
        credentials
            .put_secret(DEFAULT_TENANT, "api_token", SECRET, None, ts(1))
            .await
            .unwrap()
    );
}

pub async fn connections_and_secrets_round_trip(store: Arc<dyn Store>) {
    let key = SecretKey::generate();
    let credentials = Credentials::new(store.clone(), Some(keyring(&key, &[])));
    credentials.check_keys(ts(0)).await.unwrap();
    assert!(
        credentials
            .connection(DEFAULT_TENANT, "warehouse")
            .await
            .unwrap()
            .is_none()
    );
    store_both(&credentials).await;

    let stored = credentials
        .connection(DEFAULT_TENANT, "warehouse")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.connection, warehouse());
    assert_eq!(stored.description, "the warehouse");
    let infos = credentials.connection_infos(DEFAULT_TENANT).await.unwrap();
    assert_eq!(infos.len(), 1);
    assert!(infos[0].has_password);
    assert_eq!(infos[0].extra_keys, ["sslmode", "token"]);
    assert_eq!(
        credentials
            .secret_value(DEFAULT_TENANT, "api_token")
            .await
            .unwrap()
            .as_deref(),
        Some(SECRET)
    );
    assert_eq!(
        credentials.secret_infos(DEFAULT_TENANT).await.unwrap()[0].name,
        "api_token"
    );

    // Replacing keeps the description unless one is given, and the creation time.
    let mut changed = warehouse();
    changed.password = None;
    assert!(
        !credentials
            .put_connection(DEFAULT_TENANT, changed.clone(), None, ts(5))
            .await
            .unwrap()
    );
    let stored = credentials
        .connection(DEFAULT_TENANT, "warehouse")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.connection, changed);
    assert_eq!(stored.description, "the warehouse");
    assert_eq!((stored.created_at, stored.updated_at), (ts(1), ts(5)));

    // Other tenants see nothing.
    assert!(
        credentials
            .connection("other", "warehouse")
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        credentials
            .secret_value("other", "api_token")
            .await
            .unwrap()
            .is_none()
    );

    assert!(
        credentials
            .delete_connection(DEFAULT_TENANT, "warehouse")
            .await
            .unwrap()
    );
    assert!(
        !credentials
            .delete_connection(DEFAULT_TENANT, "warehouse")
            .await
            .unwrap()
    );
    assert!(
        credentials
            .delete_secret(DEFAULT_TENANT, "api_token")
            .await
            .unwrap()
    );
    assert!(
        credentials
            .secret_value(DEFAULT_TENANT, "api_token")
            .await
            .unwrap()
            .is_none()
    );
    assert!(store.sealing_key_ids().await.unwrap().is_empty());
}

pub async fn the_store_refuses_plaintext(store: Arc<dyn Store>) {
    let key = SecretKey::generate();
    let secret = SealedSecret {
        name: "plain".into(),
        value: SECRET.as_bytes().to_vec(),
        key_id: key.id().to_string(),
        description: String::new(),
        created_at: ts(0),
        updated_at: ts(0),
    };
    let err = store
        .put_secret(DEFAULT_TENANT, secret.clone())
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Invalid(_)), "{err}");
    assert!(err.to_string().contains("not a sealed value"), "{err}");
    // Sealed with one key but labelled with another.
    let other = SecretKey::generate();
    let sealed = keyring(&other, &[])
        .seal(
            &weft_vault::Binding::new(DEFAULT_TENANT, "secret", "plain", "value"),
            b"v",
        )
        .unwrap();
    let err = store
        .put_secret(
            DEFAULT_TENANT,
            SealedSecret {
                value: sealed,
                ..secret
            },
        )
        .await
        .unwrap_err();
    assert!(
        err.to_string()
            .contains(&format!("sealed with key {}", other.id())),
        "{err}"
    );
    assert!(store.secrets(DEFAULT_TENANT).await.unwrap().is_empty());
}

pub async fn a_value_moved_to_another_row_does_not_open(store: Arc<dyn Store>) {
    let key = SecretKey::generate();
    let credentials = Credentials::new(store.clone(), Some(keyring(&key, &[])));
    store_both(&credentials).await;
    credentials
        .put_secret(DEFAULT_TENANT, "harmless", "x", None, ts(1))
        .await
        .unwrap();
    // Someone with database access copies the api_token's ciphertext onto another row.
    let stolen = store
        .secret(DEFAULT_TENANT, "api_token")
        .await
        .unwrap()
        .unwrap();
    store
        .put_secret(
            DEFAULT_TENANT,
            SealedSecret {
                name: "harmless".into(),
                ..stolen.clone()
            },
        )
        .await
        .unwrap();
    let err = credentials
        .secret_value(DEFAULT_TENANT, "harmless")
        .await
        .unwrap_err();
    assert!(
        matches!(err, CredentialsError::Vault(VaultError::Tampered { .. })),
        "{err}"
    );
    // ... or the connection's password onto the secret.
    let connection = store
        .connection(DEFAULT_TENANT, "warehouse")
        .await
        .unwrap()
        .unwrap();
    store
        .put_secret(
            DEFAULT_TENANT,
            SealedSecret {
                value: connection.password.unwrap(),
                ..stolen
            },
        )
        .await
        .unwrap();
    assert!(
        credentials
            .secret_value(DEFAULT_TENANT, "api_token")
            .await
            .is_err()
    );
}

pub async fn the_wrong_key_fails_the_check(store: Arc<dyn Store>) {
    let right = SecretKey::generate();
    let wrong = SecretKey::generate();
    // No key used yet: none, or any key, may start.
    Credentials::new(store.clone(), None)
        .check_keys(ts(0))
        .await
        .unwrap();
    let credentials = Credentials::new(store.clone(), Some(keyring(&right, &[])));
    credentials.check_keys(ts(0)).await.unwrap();
    // Once one has, nothing sealed yet: another key is refused (its attempt keys would not
    // be understood), and so is no key at all.
    let err = Credentials::new(store.clone(), Some(keyring(&wrong, &[])))
        .check_keys(ts(1))
        .await
        .unwrap_err();
    match &err {
        CredentialsError::OtherKey { expected, .. } => {
            assert_eq!(*expected, right.id().to_string())
        }
        other => panic!("{other:?}"),
    }
    let message = err.to_string();
    assert!(
        message.contains("WEFT_SECRET_KEY does not match"),
        "{message}"
    );
    assert!(message.contains(&wrong.id().to_string()), "{message}");
    let err = Credentials::new(store.clone(), None)
        .check_keys(ts(1))
        .await
        .unwrap_err();
    assert!(matches!(err, CredentialsError::NoKey { .. }), "{err}");
    assert!(err.to_string().contains(&right.id().to_string()), "{err}");
    store_both(&credentials).await;

    let err = Credentials::new(store.clone(), Some(keyring(&wrong, &[])))
        .check_keys(ts(2))
        .await
        .unwrap_err();
    match &err {
        CredentialsError::WrongKey { expected, .. } => {
            assert_eq!(*expected, right.id().to_string())
        }
        other => panic!("{other:?}"),
    }
    let message = err.to_string();
    assert!(message.contains("WEFT_SECRET_KEY"), "{message}");
    assert!(message.contains(&right.id().to_string()), "{message}");
    assert!(message.contains(&wrong.id().to_string()), "{message}");

    let err = Credentials::new(store.clone(), None)
        .check_keys(ts(2))
        .await
        .unwrap_err();
    assert!(matches!(err, CredentialsError::NoKey { .. }), "{err}");
    assert!(err.to_string().contains("WEFT_SECRET_KEY"), "{err}");
    assert!(err.to_string().contains(&right.id().to_string()), "{err}");

    // The right key, even as a previous one, passes.
    Credentials::new(store.clone(), Some(keyring(&wrong, &[&right])))
        .check_keys(ts(2))
        .await
        .unwrap();
    credentials.check_keys(ts(3)).await.unwrap();
}

pub async fn rotation_leaves_every_value_readable_with_the_new_key_alone(store: Arc<dyn Store>) {
    let old = SecretKey::generate();
    let new = SecretKey::generate();
    let before = Credentials::new(store.clone(), Some(keyring(&old, &[])));
    before.check_keys(ts(0)).await.unwrap();
    store_both(&before).await;
    for tenant in ["other", "third"] {
        before
            .put_secret(
                tenant,
                "api_token",
                &format!("{SECRET}-{tenant}"),
                None,
                ts(1),
            )
            .await
            .unwrap();
    }
    let mut no_password = warehouse();
    no_password.conn_id = "anonymous".into();
    no_password.password = None;
    before
        .put_connection(DEFAULT_TENANT, no_password.clone(), None, ts(1))
        .await
        .unwrap();

    let during = Credentials::new(store.clone(), Some(keyring(&new, &[&old])));
    during.check_keys(ts(2)).await.unwrap();
    let outcome = during.rotate(ts(3)).await.unwrap();
    assert_eq!(outcome.resealed, 5, "{outcome:?}");
    assert_eq!(outcome.key_ids, [new.id().to_string()]);
    // Nothing left to do the second time.
    assert_eq!(during.rotate(ts(4)).await.unwrap().resealed, 0);
    let markers = store.key_markers().await.unwrap();
    assert_eq!(
        markers.iter().map(|m| m.key_id.clone()).collect::<Vec<_>>(),
        [new.id().to_string()]
    );

    let after = Credentials::new(store.clone(), Some(keyring(&new, &[])));
    after.check_keys(ts(5)).await.unwrap();
    let stored = after
        .connection(DEFAULT_TENANT, "warehouse")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.connection, warehouse());
    let stored = after
        .connection(DEFAULT_TENANT, "anonymous")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.connection, no_password);
    assert_eq!(
        after
            .secret_value(DEFAULT_TENANT, "api_token")
            .await
            .unwrap()
            .as_deref(),
        Some(SECRET)
    );
    for tenant in ["other", "third"] {
        assert_eq!(
            after.secret_value(tenant, "api_token").await.unwrap(),
            Some(format!("{SECRET}-{tenant}"))
        );
    }
    // The old key alone no longer starts.
    let err = Credentials::new(store.clone(), Some(keyring(&old, &[])))
        .check_keys(ts(6))
        .await
        .unwrap_err();
    assert!(matches!(err, CredentialsError::WrongKey { .. }), "{err}");
}

pub async fn attempts_are_read_with_their_runs_digest(store: Arc<dyn Store>) {
    let (run, tis) = super::run_of(&*store, "etl", &["a", "b"]).await;
    let attempt = store.attempt(tis[1].id).await.unwrap().unwrap();
    assert_eq!(attempt.task_id, "b");
    assert_eq!(attempt.tenant, DEFAULT_TENANT);
    assert_eq!(attempt.digest, run.digest);
    assert_eq!(attempt.lease, tis[1].lease);
    assert_eq!(attempt.state, tis[1].state);
    assert!(store.attempt(tis[1].id + 1000).await.unwrap().is_none());
}

pub async fn grants_follow_declarations_and_leases(store: Arc<dyn Store>) {
    use weft_model::Resources;
    use weft_protocol::AttemptRef;
    use weft_store::grants::{Refusal, Requested, check};
    use weft_store::{Deploy, WriteBatch};

    let mut spec = super::spec("etl", &["a", "b"]);
    spec.tasks[0].settings.resources = Some(Resources {
        connections: vec!["warehouse".into()],
        secrets: vec!["api_token".into()],
        ..Resources::default()
    });
    let (bytes, digest) = super::component("grants");
    store
        .deploy(Deploy {
            tenant: DEFAULT_TENANT.into(),
            digest: digest.clone(),
            bytes,
            dag_id: "etl".into(),
            spec,
            at: ts(0),
        })
        .await
        .unwrap();
    let (_, tis) = store
        .create_run(super::new_run(
            DEFAULT_TENANT,
            "etl",
            "r1",
            &digest,
            &["a", "b"],
        ))
        .await
        .unwrap();
    let (a, b) = (&tis[0], &tis[1]);
    let attempt = |ti: i64, lease| AttemptRef {
        ti,
        lease,
        key: None,
    };
    let ask = |at: AttemptRef, what| {
        let store = store.clone();
        async move { check(&*store, DEFAULT_TENANT, at, what).await.unwrap() }
    };

    // Not queued yet: no attempt holds a lease.
    let refusal = ask(attempt(a.id, 1), Requested::Connection("warehouse"))
        .await
        .unwrap_err();
    assert!(matches!(refusal, Refusal::StaleAttempt { .. }), "{refusal}");
    // Queued with its lease: the worker's start report may not have landed yet, so the
    // attempt may read what it declares.
    super::write(
        &*store,
        super::write::queue_batch(vec![super::queue(a), super::queue(b)]),
    )
    .await;
    ask(attempt(a.id, 1), Requested::Connection("warehouse"))
        .await
        .unwrap();
    super::write(
        &*store,
        WriteBatch {
            start: vec![super::start(a.id, 1), super::start(b.id, 1)],
            ..WriteBatch::default()
        },
    )
    .await;

    ask(attempt(a.id, 1), Requested::Connection("warehouse"))
        .await
        .unwrap();
    ask(attempt(a.id, 1), Requested::Secret("api_token"))
        .await
        .unwrap();
    let refusal = ask(attempt(a.id, 1), Requested::Secret("warehouse"))
        .await
        .unwrap_err();
    assert_eq!(refusal.code(), "not_declared");
    assert!(
        refusal.to_string().contains("resources.secrets"),
        "{refusal}"
    );
    let refusal = ask(attempt(b.id, 1), Requested::Connection("warehouse"))
        .await
        .unwrap_err();
    assert_eq!(refusal.code(), "not_declared", "{refusal}");
    let refusal = ask(attempt(a.id, 0), Requested::Connection("warehouse"))
        .await
        .unwrap_err();
    assert_eq!(refusal.code(), "stale_attempt", "{refusal}");
    let refusal = ask(attempt(a.id + 100, 1), Requested::Connection("warehouse"))
        .await
        .unwrap_err();
    assert!(matches!(refusal, Refusal::NoSuchTask { .. }), "{refusal}");
    let other = check(
        &*store,
        "other",
        attempt(a.id, 1),
        Requested::Connection("warehouse"),
    )
    .await
    .unwrap()
    .unwrap_err();
    assert!(matches!(other, Refusal::NoSuchTask { .. }), "{other}");
}
