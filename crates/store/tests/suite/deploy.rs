//! Deploying components and DAGs; tenants.

use weft_store::{
    DEFAULT_POOL, DEFAULT_TENANT, DeployOutcome, Pool, RunFilter, Store, StoreError, Variable,
};

use super::{deploy_of, deployed, new_run, spec, ts};

pub async fn deploy_creates_dag_then_versions(store: &dyn Store) {
    let first = deploy_of(DEFAULT_TENANT, "etl", &["a", "b"], "v1", ts(0));
    let (v1, v1_bytes) = (first.digest.clone(), first.bytes.clone());
    let outcome = store.deploy(first.clone()).await.unwrap();
    assert_eq!(
        outcome,
        DeployOutcome {
            created_dag: true,
            new_version: true
        }
    );

    let dag = store.dag(DEFAULT_TENANT, "etl").await.unwrap().unwrap();
    assert_eq!(
        (dag.dag_id.as_str(), dag.digest.as_str(), dag.paused),
        ("etl", v1.as_str(), false)
    );
    assert_eq!(dag.spec, spec("etl", &["a", "b"]));
    assert_eq!((dag.created_at, dag.updated_at), (ts(0), ts(0)));
    assert_eq!(
        store.component(DEFAULT_TENANT, &v1).await.unwrap(),
        Some(v1_bytes.clone())
    );
    assert_eq!(
        store.spec(DEFAULT_TENANT, &v1).await.unwrap(),
        Some(spec("etl", &["a", "b"]))
    );

    // The same component again: nothing new, only updated_at moves.
    let again = deploy_of(DEFAULT_TENANT, "etl", &["a", "b"], "v1", ts(5));
    let outcome = store.deploy(again).await.unwrap();
    assert_eq!(
        outcome,
        DeployOutcome {
            created_dag: false,
            new_version: false
        }
    );
    let dag = store.dag(DEFAULT_TENANT, "etl").await.unwrap().unwrap();
    assert_eq!((dag.created_at, dag.updated_at), (ts(0), ts(5)));
    assert_eq!(
        store
            .dag_versions(DEFAULT_TENANT, "etl")
            .await
            .unwrap()
            .len(),
        1
    );

    // A new version becomes current; versions are listed newest first.
    let second = deploy_of(DEFAULT_TENANT, "etl", &["a", "b", "c"], "v2", ts(10));
    let (v2, v2_size) = (second.digest.clone(), second.bytes.len() as i64);
    let outcome = store.deploy(second).await.unwrap();
    assert_eq!(
        outcome,
        DeployOutcome {
            created_dag: false,
            new_version: true
        }
    );
    let dag = store.dag(DEFAULT_TENANT, "etl").await.unwrap().unwrap();
    assert_eq!(dag.digest, v2);
    assert_eq!(dag.spec.tasks.len(), 3);
    let versions = store.dag_versions(DEFAULT_TENANT, "etl").await.unwrap();
    let digests: Vec<&str> = versions.iter().map(|v| v.digest.as_str()).collect();
    assert_eq!(digests, [v2.as_str(), v1.as_str()]);
    assert_eq!(
        (
            versions[0].size,
            versions[0].task_count,
            versions[0].created_at
        ),
        (v2_size, 3, ts(10))
    );
    assert_eq!(
        (versions[1].size, versions[1].task_count),
        (v1_bytes.len() as i64, 2)
    );
    // The old component is still there for runs pinned to it.
    assert_eq!(
        store.component(DEFAULT_TENANT, &v1).await.unwrap(),
        Some(v1_bytes)
    );

    let other = deploy_of(DEFAULT_TENANT, "another", &["x"], "v1", ts(0));
    store.deploy(other).await.unwrap();
    let ids: Vec<String> = store
        .dags(DEFAULT_TENANT)
        .await
        .unwrap()
        .into_iter()
        .map(|d| d.dag_id)
        .collect();
    assert_eq!(ids, ["another", "etl"]);
}

pub async fn redeploying_an_older_version_switches_back(store: &dyn Store) {
    let v1 = deployed(store, DEFAULT_TENANT, "etl", &["a"]).await;
    store
        .deploy(deploy_of(DEFAULT_TENANT, "etl", &["a"], "v2", ts(1)))
        .await
        .unwrap();
    let outcome = store
        .deploy(deploy_of(DEFAULT_TENANT, "etl", &["a"], "v1", ts(2)))
        .await
        .unwrap();
    assert_eq!(
        outcome,
        DeployOutcome {
            created_dag: false,
            new_version: false
        }
    );
    assert_eq!(
        store
            .dag(DEFAULT_TENANT, "etl")
            .await
            .unwrap()
            .unwrap()
            .digest,
        v1
    );
    assert_eq!(
        store
            .dag_versions(DEFAULT_TENANT, "etl")
            .await
            .unwrap()
            .len(),
        2
    );
}

pub async fn deploy_rejects_bad_input(store: &dyn Store) {
    let invalid = |e: StoreError| matches!(e, StoreError::Invalid(_));

    let mut empty_id = deploy_of(DEFAULT_TENANT, "etl", &["a"], "v1", ts(0));
    empty_id.dag_id = String::new();
    empty_id.spec.dag_id = String::new();
    let err = store.deploy(empty_id).await.unwrap_err();
    assert!(invalid(err), "empty dag_id");

    let mut mismatch = deploy_of(DEFAULT_TENANT, "etl", &["a"], "v1", ts(0));
    mismatch.dag_id = "other".into();
    let err = store.deploy(mismatch).await.unwrap_err();
    assert!(
        err.to_string().contains("other") && err.to_string().contains("etl"),
        "{err}"
    );

    let mut wrong_digest = deploy_of(DEFAULT_TENANT, "etl", &["a"], "v1", ts(0));
    wrong_digest.digest = "sha256:00".into();
    let err = store.deploy(wrong_digest).await.unwrap_err();
    assert!(err.to_string().contains("sha256:00"), "{err}");

    let mut no_tenant = deploy_of(DEFAULT_TENANT, "etl", &["a"], "v1", ts(0));
    no_tenant.tenant = String::new();
    assert!(
        invalid(store.deploy(no_tenant).await.unwrap_err()),
        "empty tenant"
    );

    let mut control = deploy_of(DEFAULT_TENANT, "etl", &["a"], "v1", ts(0));
    control.dag_id = "bad\nid".into();
    control.spec.dag_id = "bad\nid".into();
    assert!(
        invalid(store.deploy(control).await.unwrap_err()),
        "control characters"
    );

    assert!(
        store.dags(DEFAULT_TENANT).await.unwrap().is_empty(),
        "nothing was stored"
    );
}

pub async fn set_paused_pauses_known_dags_only(store: &dyn Store) {
    deployed(store, DEFAULT_TENANT, "etl", &["a"]).await;
    assert!(
        store
            .set_paused(DEFAULT_TENANT, "etl", true, ts(7))
            .await
            .unwrap()
    );
    let dag = store.dag(DEFAULT_TENANT, "etl").await.unwrap().unwrap();
    assert!(dag.paused);
    assert_eq!(dag.updated_at, ts(7));
    // Redeploying keeps the pause.
    store
        .deploy(deploy_of(DEFAULT_TENANT, "etl", &["a"], "v2", ts(8)))
        .await
        .unwrap();
    assert!(
        store
            .dag(DEFAULT_TENANT, "etl")
            .await
            .unwrap()
            .unwrap()
            .paused
    );
    assert!(
        store
            .set_paused(DEFAULT_TENANT, "etl", false, ts(9))
            .await
            .unwrap()
    );
    assert!(
        !store
            .dag(DEFAULT_TENANT, "etl")
            .await
            .unwrap()
            .unwrap()
            .paused
    );
    assert!(
        !store
            .set_paused(DEFAULT_TENANT, "nope", true, ts(9))
            .await
            .unwrap()
    );
    assert!(!store.set_paused("acme", "etl", true, ts(9)).await.unwrap());
}

pub async fn tenants_are_isolated(store: &dyn Store) {
    let default_digest = deployed(store, DEFAULT_TENANT, "etl", &["a"]).await;
    let run = new_run(DEFAULT_TENANT, "etl", "r1", &default_digest, &["a"]);
    store.create_run(run).await.unwrap();
    let var = Variable {
        key: "k".into(),
        value: "default".into(),
        description: String::new(),
        updated_at: ts(0),
    };
    store.set_variable(DEFAULT_TENANT, var).await.unwrap();

    // The second tenant sees none of the default tenant's rows.
    assert!(store.dags("acme").await.unwrap().is_empty());
    assert!(store.dag("acme", "etl").await.unwrap().is_none());
    assert!(
        store
            .component("acme", &default_digest)
            .await
            .unwrap()
            .is_none()
    );
    assert!(store.spec("acme", &default_digest).await.unwrap().is_none());
    assert!(
        store
            .runs("acme", &RunFilter::default())
            .await
            .unwrap()
            .is_empty()
    );
    assert!(
        store
            .run_by_id("acme", "etl", "r1")
            .await
            .unwrap()
            .is_none()
    );
    assert!(store.variable("acme", "k").await.unwrap().is_none());
    // Nor can it run the default tenant's DAG.
    let err = store
        .create_run(new_run("acme", "etl", "r1", &default_digest, &["a"]))
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::NotFound(_)), "{err}");

    // Its own DAG of the same id is its own.
    let acme_digest = deployed(store, "acme", "etl", &["a", "b"]).await;
    assert_ne!(acme_digest, default_digest);
    let outcome = store
        .deploy(deploy_of("acme", "etl", &["a", "b"], "v1", ts(1)))
        .await
        .unwrap();
    assert_eq!(
        outcome,
        DeployOutcome {
            created_dag: false,
            new_version: false
        }
    );
    assert_eq!(
        store
            .dag("acme", "etl")
            .await
            .unwrap()
            .unwrap()
            .spec
            .tasks
            .len(),
        2
    );
    assert_eq!(
        store
            .dag(DEFAULT_TENANT, "etl")
            .await
            .unwrap()
            .unwrap()
            .spec
            .tasks
            .len(),
        1
    );
    let (run, _) = store
        .create_run(new_run("acme", "etl", "r1", &acme_digest, &["a", "b"]))
        .await
        .unwrap();
    assert_eq!(run.tenant, "acme");
    assert_eq!(
        store
            .runs("acme", &RunFilter::default())
            .await
            .unwrap()
            .len(),
        1
    );
    assert_eq!(
        store
            .runs(DEFAULT_TENANT, &RunFilter::default())
            .await
            .unwrap()
            .len(),
        1
    );

    let var = Variable {
        key: "k".into(),
        value: "acme".into(),
        description: String::new(),
        updated_at: ts(0),
    };
    store.set_variable("acme", var).await.unwrap();
    assert_eq!(
        store
            .variable(DEFAULT_TENANT, "k")
            .await
            .unwrap()
            .unwrap()
            .value,
        "default"
    );
    assert_eq!(
        store.variable("acme", "k").await.unwrap().unwrap().value,
        "acme"
    );

    store
        .set_pool(
            "acme",
            Pool {
                name: DEFAULT_POOL.into(),
                slots: 3,
                description: String::new(),
            },
        )
        .await
        .unwrap();
    let default_pools = store.pools(DEFAULT_TENANT).await.unwrap();
    assert_eq!(default_pools[0].slots, 128);
    assert_eq!(store.pools("acme").await.unwrap()[0].slots, 3);
}

pub async fn unknown_things_are_none(store: &dyn Store) {
    assert!(store.dag(DEFAULT_TENANT, "nope").await.unwrap().is_none());
    assert!(store.dags(DEFAULT_TENANT).await.unwrap().is_empty());
    assert!(
        store
            .component(DEFAULT_TENANT, "sha256:abc")
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        store
            .spec(DEFAULT_TENANT, "sha256:abc")
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        store
            .dag_versions(DEFAULT_TENANT, "nope")
            .await
            .unwrap()
            .is_empty()
    );
    assert!(store.run(12345).await.unwrap().is_none());
    assert!(
        store
            .run_by_id(DEFAULT_TENANT, "nope", "r1")
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        store
            .latest_scheduled_run(DEFAULT_TENANT, "nope")
            .await
            .unwrap()
            .is_none()
    );
    assert!(store.active_runs().await.unwrap().is_empty());
    assert!(
        store
            .xcom(12345, "a", "return_value")
            .await
            .unwrap()
            .is_none()
    );
    assert!(store.task_log(12345, 1).await.unwrap().is_none());
}
