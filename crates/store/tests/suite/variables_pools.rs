//! Variables and pools.

use weft_model::TaskState;
use weft_store::{
    DEFAULT_POOL, DEFAULT_POOL_SLOTS, DEFAULT_TENANT, Pool, Store, StoreError, Variable, WriteBatch,
};

use super::{deployed, finish, new_run, queue, reload, start, ts, write};

fn var(key: &str, value: &str) -> Variable {
    Variable {
        key: key.into(),
        value: value.into(),
        description: format!("about {key}"),
        updated_at: ts(1),
    }
}

pub async fn variables_round_trip(store: &dyn Store) {
    assert!(store.variables(DEFAULT_TENANT).await.unwrap().is_empty());
    store
        .set_variable(DEFAULT_TENANT, var("b", "2"))
        .await
        .unwrap();
    store
        .set_variable(DEFAULT_TENANT, var("a", "1"))
        .await
        .unwrap();
    assert_eq!(
        store.variable(DEFAULT_TENANT, "a").await.unwrap(),
        Some(var("a", "1"))
    );
    let keys: Vec<String> = store
        .variables(DEFAULT_TENANT)
        .await
        .unwrap()
        .into_iter()
        .map(|v| v.key)
        .collect();
    assert_eq!(keys, ["a", "b"]);

    let replaced = Variable {
        value: "one".into(),
        updated_at: ts(9),
        ..var("a", "")
    };
    store
        .set_variable(DEFAULT_TENANT, replaced.clone())
        .await
        .unwrap();
    assert_eq!(
        store.variable(DEFAULT_TENANT, "a").await.unwrap(),
        Some(replaced)
    );

    assert!(store.delete_variable(DEFAULT_TENANT, "a").await.unwrap());
    assert!(!store.delete_variable(DEFAULT_TENANT, "a").await.unwrap());
    assert!(store.variable(DEFAULT_TENANT, "a").await.unwrap().is_none());

    let err = store
        .set_variable(DEFAULT_TENANT, var("", "x"))
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Invalid(_)), "{err}");
    let err = store.set_variable("", var("k", "x")).await.unwrap_err();
    assert!(matches!(err, StoreError::Invalid(_)), "{err}");
    // A new tenant gets its variables (and its tenant row) on first write.
    store
        .set_variable("fresh-tenant", var("k", "v"))
        .await
        .unwrap();
    assert_eq!(store.variables("fresh-tenant").await.unwrap().len(), 1);
}

pub async fn pools_have_a_default_and_can_be_resized(store: &dyn Store) {
    let default = Pool {
        name: DEFAULT_POOL.into(),
        slots: DEFAULT_POOL_SLOTS,
        description: "Default pool".into(),
    };
    assert_eq!(
        store.pools(DEFAULT_TENANT).await.unwrap(),
        std::slice::from_ref(&default)
    );
    assert_eq!(
        store.pools("unknown-tenant").await.unwrap(),
        std::slice::from_ref(&default)
    );

    let etl = Pool {
        name: "etl".into(),
        slots: 4,
        description: "ETL jobs".into(),
    };
    store.set_pool(DEFAULT_TENANT, etl.clone()).await.unwrap();
    let zeta = Pool {
        name: "zeta".into(),
        slots: 0,
        description: String::new(),
    };
    store.set_pool(DEFAULT_TENANT, zeta.clone()).await.unwrap();
    assert_eq!(
        store.pools(DEFAULT_TENANT).await.unwrap(),
        [default.clone(), etl.clone(), zeta.clone()]
    );

    let bigger = Pool { slots: 16, ..etl };
    store
        .set_pool(DEFAULT_TENANT, bigger.clone())
        .await
        .unwrap();
    assert_eq!(store.pools(DEFAULT_TENANT).await.unwrap()[1], bigger);

    for bad in [
        Pool {
            slots: -1,
            ..bigger.clone()
        },
        Pool {
            name: String::new(),
            ..bigger.clone()
        },
    ] {
        let err = store.set_pool(DEFAULT_TENANT, bad).await.unwrap_err();
        assert!(matches!(err, StoreError::Invalid(_)), "{err}");
    }
    // A new tenant's first pool comes with its default pool.
    store
        .set_pool(
            "acme",
            Pool {
                name: "aaa".into(),
                slots: 1,
                description: String::new(),
            },
        )
        .await
        .unwrap();
    let names: Vec<String> = store
        .pools("acme")
        .await
        .unwrap()
        .into_iter()
        .map(|p| p.name)
        .collect();
    assert_eq!(names, ["aaa", DEFAULT_POOL]);
}

pub async fn pools_are_deleted_once_no_task_instance_needs_them(store: &dyn Store) {
    let etl = Pool {
        name: "etl".into(),
        slots: 2,
        description: String::new(),
    };
    store.set_pool(DEFAULT_TENANT, etl.clone()).await.unwrap();
    store.set_pool("acme", etl.clone()).await.unwrap();
    let digest = deployed(store, DEFAULT_TENANT, "load", &["a"]).await;
    let mut run = new_run(DEFAULT_TENANT, "load", "r1", &digest, &["a"]);
    run.tasks[0].pool = etl.name.clone();
    let (run, tis) = store.create_run(run).await.unwrap();
    let names = |tenant: &'static str| async move {
        let pools = store.pools(tenant).await.unwrap();
        pools.into_iter().map(|p| p.name).collect::<Vec<_>>()
    };

    // The default pool never goes.
    let err = store
        .delete_pool(DEFAULT_TENANT, DEFAULT_POOL)
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Invalid(_)), "{err}");
    assert!(err.to_string().contains("resize it instead"), "{err}");

    // A task instance queued, then running, in the pool keeps it.
    write(
        store,
        WriteBatch {
            queue: vec![queue(&tis[0])],
            ..WriteBatch::default()
        },
    )
    .await;
    let queued = reload(store, run.id, tis[0].id).await;
    let refused = || async {
        let err = store.delete_pool(DEFAULT_TENANT, "etl").await.unwrap_err();
        assert!(matches!(err, StoreError::Conflict(_)), "{err}");
        assert!(err.to_string().contains("1 task instances"), "{err}");
        assert_eq!(names(DEFAULT_TENANT).await, [DEFAULT_POOL, "etl"]);
    };
    refused().await;
    write(
        store,
        WriteBatch {
            start: vec![start(queued.id, queued.lease)],
            ..WriteBatch::default()
        },
    )
    .await;
    refused().await;
    // Another tenant's pool of the same name is its own, and goes.
    assert!(store.delete_pool("acme", "etl").await.unwrap());
    assert_eq!(names("acme").await, [DEFAULT_POOL]);

    // Once the task instance ended, the pool goes; a second delete finds nothing.
    write(
        store,
        WriteBatch {
            finish: vec![finish(queued.id, queued.lease, TaskState::Success)],
            ..WriteBatch::default()
        },
    )
    .await;
    assert!(store.delete_pool(DEFAULT_TENANT, "etl").await.unwrap());
    assert_eq!(names(DEFAULT_TENANT).await, [DEFAULT_POOL]);
    assert!(!store.delete_pool(DEFAULT_TENANT, "etl").await.unwrap());
}
