//! Tenants and API tokens.

use weft_store::{
    ApiToken, DEFAULT_POOL, DEFAULT_POOL_SLOTS, DEFAULT_TENANT, Quotas, Role, RunFilter, Store,
    StoreError, Tenant, TenantDeletion, TenantSandbox, Variable,
};

use weft_model::RunType;
use weft_model::quotas::Quota;

use super::{deploy_of, deployed, new_run, ts};

fn tenant(name: &str) -> Tenant {
    Tenant {
        name: name.into(),
        description: format!("team {name}"),
        created_at: ts(1),
        weight: 1,
        quotas: Quotas::NONE,
        sandbox: TenantSandbox::default(),
    }
}

fn token(id: &str, tenant: &str, role: Role) -> ApiToken {
    ApiToken {
        token_id: id.into(),
        tenant: tenant.into(),
        name: format!("{id} for {role}"),
        role,
        secret_digest: format!("digest-of-{id}"),
        created_at: ts(10),
        expires_at: None,
        revoked_at: None,
    }
}

pub async fn tenants_are_created_listed_and_refused_twice(store: &dyn Store) {
    let names = |tenants: Vec<Tenant>| tenants.into_iter().map(|t| t.name).collect::<Vec<_>>();
    assert_eq!(names(store.tenants().await.unwrap()), [DEFAULT_TENANT]);
    store.create_tenant(tenant("team-b")).await.unwrap();
    store.create_tenant(tenant("team-a")).await.unwrap();
    assert_eq!(
        names(store.tenants().await.unwrap()),
        ["default", "team-a", "team-b"]
    );
    assert_eq!(
        store.tenant("team-a").await.unwrap(),
        Some(tenant("team-a"))
    );
    // A new tenant has its default pool.
    let pools = store.pools("team-a").await.unwrap();
    assert_eq!(pools.len(), 1);
    assert_eq!(pools[0].name, DEFAULT_POOL);

    let taken = Tenant {
        description: "another".into(),
        ..tenant("team-a")
    };
    match store.create_tenant(taken).await {
        Err(StoreError::Conflict(m)) => assert!(m.contains("team-a"), "{m}"),
        other => panic!("{other:?}"),
    }
    assert_eq!(
        store.tenant("team-a").await.unwrap(),
        Some(tenant("team-a")),
        "a refused create leaves the tenant as it was"
    );
    for bad in ["", "Team", "a b", "-a"] {
        match store.create_tenant(tenant(bad)).await {
            Err(StoreError::Invalid(m)) => assert!(m.contains("tenant name"), "{bad}: {m}"),
            other => panic!("{bad}: {other:?}"),
        }
    }
    assert_eq!(store.tenants().await.unwrap().len(), 3);
    assert!(store.tenant("nobody").await.unwrap().is_none());

    // Weights: given at creation, changed later, checked both times.
    let heavy = Tenant {
        weight: 5,
        ..tenant("team-c")
    };
    store.create_tenant(heavy.clone()).await.unwrap();
    assert_eq!(store.tenant("team-c").await.unwrap(), Some(heavy));
    assert!(store.set_tenant_weight("team-c", 2).await.unwrap());
    assert_eq!(store.tenant("team-c").await.unwrap().unwrap().weight, 2);
    assert!(!store.set_tenant_weight("nobody", 2).await.unwrap());
    for bad in [0, 1001] {
        match store.set_tenant_weight("team-c", bad).await {
            Err(StoreError::Invalid(m)) => assert!(m.contains("weight"), "{bad}: {m}"),
            other => panic!("{bad}: {other:?}"),
        }
        let refused = Tenant {
            weight: bad,
            ..tenant("team-d")
        };
        assert!(matches!(
            store.create_tenant(refused).await,
            Err(StoreError::Invalid(_))
        ));
    }
    assert_eq!(store.tenant("team-c").await.unwrap().unwrap().weight, 2);
    assert_eq!(
        store.tenant(DEFAULT_TENANT).await.unwrap().unwrap().weight,
        1
    );
}

pub async fn a_tenant_with_dags_is_not_deleted(store: &dyn Store) {
    store.create_tenant(tenant("team-a")).await.unwrap();
    deployed(store, "team-a", "etl", &["t"]).await;
    store
        .create_token(token("tok1", "team-a", Role::Admin))
        .await
        .unwrap();
    assert_eq!(
        store.delete_tenant("team-a").await.unwrap(),
        TenantDeletion::HasDags(vec!["etl".into()])
    );
    assert!(store.tenant("team-a").await.unwrap().is_some());
    assert!(store.token("tok1").await.unwrap().is_some());
    assert_eq!(store.dags("team-a").await.unwrap().len(), 1);

    match store.delete_tenant(DEFAULT_TENANT).await {
        Err(StoreError::Invalid(m)) => assert!(m.contains("cannot be deleted"), "{m}"),
        other => panic!("{other:?}"),
    }
    assert_eq!(
        store.delete_tenant("nobody").await.unwrap(),
        TenantDeletion::NotFound
    );
}

pub async fn deleting_a_tenant_deletes_what_it_owns_and_nothing_else(store: &dyn Store) {
    for name in ["team-a", "team-b"] {
        store.create_tenant(tenant(name)).await.unwrap();
        store
            .create_token(token(&format!("{name}-tok"), name, Role::Viewer))
            .await
            .unwrap();
        let var = Variable {
            key: "k".into(),
            value: name.into(),
            description: String::new(),
            updated_at: ts(2),
        };
        store.set_variable(name, var).await.unwrap();
    }
    assert_eq!(
        store.delete_tenant("team-a").await.unwrap(),
        TenantDeletion::Deleted
    );
    assert!(store.tenant("team-a").await.unwrap().is_none());
    assert!(store.token("team-a-tok").await.unwrap().is_none());
    assert!(store.variable("team-a", "k").await.unwrap().is_none());
    assert!(store.tokens("team-a").await.unwrap().is_empty());
    // Its pools are gone too (listing an unknown tenant's pools shows the default one only).
    let pools = store.pools("team-a").await.unwrap();
    assert_eq!(
        pools.iter().map(|p| p.slots).collect::<Vec<_>>(),
        [DEFAULT_POOL_SLOTS]
    );
    // The other tenant keeps everything.
    assert!(store.tenant("team-b").await.unwrap().is_some());
    assert!(store.token("team-b-tok").await.unwrap().is_some());
    assert_eq!(
        store
            .variable("team-b", "k")
            .await
            .unwrap()
            .map(|v| v.value),
        Some("team-b".to_owned())
    );
    // The name can be used again.
    store.create_tenant(tenant("team-a")).await.unwrap();
    assert!(store.variable("team-a", "k").await.unwrap().is_none());
}

pub async fn tokens_round_trip_and_are_revoked_in_their_tenant_only(store: &dyn Store) {
    store.create_tenant(tenant("team-a")).await.unwrap();
    let expiring = ApiToken {
        expires_at: Some(ts(100)),
        ..token("t2", "team-a", Role::Operator)
    };
    store
        .create_token(token("t1", "team-a", Role::Editor))
        .await
        .unwrap();
    store.create_token(expiring.clone()).await.unwrap();
    store
        .create_token(token("d1", DEFAULT_TENANT, Role::Admin))
        .await
        .unwrap();
    assert_eq!(store.token("t2").await.unwrap(), Some(expiring.clone()));
    assert!(expiring.is_live(ts(99)));
    assert!(!expiring.is_live(ts(100)));
    let ids = |tokens: Vec<ApiToken>| tokens.into_iter().map(|t| t.token_id).collect::<Vec<_>>();
    assert_eq!(ids(store.tokens("team-a").await.unwrap()), ["t1", "t2"]);
    assert_eq!(ids(store.tokens(DEFAULT_TENANT).await.unwrap()), ["d1"]);

    // Another tenant cannot revoke it; its own can, once.
    assert!(
        !store
            .revoke_token(DEFAULT_TENANT, "t1", ts(20))
            .await
            .unwrap()
    );
    assert!(store.token("t1").await.unwrap().unwrap().is_live(ts(20)));
    assert!(store.revoke_token("team-a", "t1", ts(20)).await.unwrap());
    assert!(!store.revoke_token("team-a", "t1", ts(30)).await.unwrap());
    let revoked = store.token("t1").await.unwrap().unwrap();
    assert_eq!(revoked.revoked_at, Some(ts(20)));
    assert!(!revoked.is_live(ts(21)));

    // A taken id, an unknown tenant and bad fields are refused, and nothing changes.
    match store
        .create_token(token("t1", "team-a", Role::Viewer))
        .await
    {
        Err(StoreError::Conflict(_)) => {}
        other => panic!("{other:?}"),
    }
    match store
        .create_token(token("x1", "nobody", Role::Viewer))
        .await
    {
        Err(StoreError::NotFound(m)) => assert!(m.contains("nobody"), "{m}"),
        other => panic!("{other:?}"),
    }
    let backwards = ApiToken {
        expires_at: Some(ts(5)),
        ..token("x2", "team-a", Role::Viewer)
    };
    match store.create_token(backwards).await {
        Err(StoreError::Invalid(m)) => assert!(m.contains("expire"), "{m}"),
        other => panic!("{other:?}"),
    }
    assert_eq!(ids(store.tokens("team-a").await.unwrap()), ["t1", "t2"]);
    assert_eq!(
        store.token("t1").await.unwrap().map(|t| t.role),
        Some(Role::Editor)
    );
}

/// The quota a refusal names, or a panic saying what came instead.
fn refused_by<T: std::fmt::Debug>(result: Result<T, StoreError>) -> (Quota, u64, String) {
    match result {
        Err(StoreError::Quota(e)) => (e.quota, e.limit, e.to_string()),
        other => panic!("expected a quota refusal, got {other:?}"),
    }
}

pub async fn quotas_refuse_runs_and_components_past_them(store: &dyn Store) {
    let quotas = Quotas {
        max_queued_tasks: Some(5),
        max_components: Some(2),
        ..Quotas::NONE
    };
    store
        .create_tenant(Tenant {
            quotas,
            ..tenant("team-q")
        })
        .await
        .unwrap();
    assert_eq!(
        store.tenant("team-q").await.unwrap().unwrap().quotas,
        quotas
    );
    let tasks = ["a", "b", "c"];
    let digest = deployed(store, "team-q", "etl", &tasks).await;

    // Waiting task instances: 3 of 5 taken, a second run of 3 is refused and nothing of it
    // is stored; a run the schedule makes is not counted against it.
    store
        .create_run(new_run("team-q", "etl", "r1", &digest, &tasks))
        .await
        .unwrap();
    let (quota, limit, message) = refused_by(
        store
            .create_run(new_run("team-q", "etl", "r2", &digest, &tasks))
            .await,
    );
    assert_eq!((quota, limit), (Quota::MaxQueuedTasks, 5));
    assert!(
        message.contains("adds 3 task instances to the 3 waiting"),
        "{message}"
    );
    let run_ids =
        |runs: Vec<weft_store::DagRun>| runs.into_iter().map(|r| r.run_id).collect::<Vec<_>>();
    assert_eq!(
        run_ids(store.runs("team-q", &RunFilter::default()).await.unwrap()),
        ["r1"]
    );
    let scheduled = weft_store::NewRun {
        run_type: RunType::Scheduled,
        logical_date: ts(86_400),
        ..new_run("team-q", "etl", "s1", &digest, &tasks)
    };
    store.create_run(scheduled).await.unwrap();
    // The same DAG in a tenant without the quota is not held back by it.
    let open = deployed(store, DEFAULT_TENANT, "etl", &tasks).await;
    for id in ["d1", "d2", "d3"] {
        store
            .create_run(new_run(DEFAULT_TENANT, "etl", id, &open, &tasks))
            .await
            .unwrap();
    }
    // A larger quota lets the run through.
    let larger = Quotas {
        max_queued_tasks: Some(9),
        ..quotas
    };
    assert!(store.set_tenant_quotas("team-q", &larger).await.unwrap());
    store
        .create_run(new_run("team-q", "etl", "r2", &digest, &tasks))
        .await
        .unwrap();

    // Components: the second is stored, a third is refused, one already stored deploys again.
    let at = ts(5);
    store
        .deploy(deploy_of("team-q", "etl", &tasks, "v2", at))
        .await
        .unwrap();
    let (quota, limit, message) = refused_by(
        store
            .deploy(deploy_of("team-q", "etl", &tasks, "v3", at))
            .await,
    );
    assert_eq!((quota, limit), (Quota::MaxComponents, 2));
    assert!(message.contains("stores 2 components"), "{message}");
    assert_eq!(store.dag_versions("team-q", "etl").await.unwrap().len(), 2);
    store
        .deploy(deploy_of("team-q", "etl", &tasks, "v1", at))
        .await
        .unwrap();
    assert_eq!(
        store.dag("team-q", "etl").await.unwrap().unwrap().digest,
        digest
    );

    // Size: a component larger than the quota is refused before the count is looked at.
    let small = Quotas {
        max_component_bytes: Some(10),
        max_components: None,
        ..larger
    };
    assert!(store.set_tenant_quotas("team-q", &small).await.unwrap());
    let (quota, limit, _) = refused_by(
        store
            .deploy(deploy_of("team-q", "etl", &tasks, "v4", at))
            .await,
    );
    assert_eq!((quota, limit), (Quota::MaxComponentBytes, 10));

    // Bad quotas are refused and change nothing; an unknown tenant is said so.
    let bad = Quotas {
        max_running_tasks: Some(0),
        ..Quotas::NONE
    };
    match store.set_tenant_quotas("team-q", &bad).await {
        Err(StoreError::Invalid(m)) => assert!(m.contains("max_running_tasks"), "{m}"),
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        store
            .create_tenant(Tenant {
                quotas: bad,
                ..tenant("team-r")
            })
            .await,
        Err(StoreError::Invalid(_))
    ));
    assert!(store.tenant("team-r").await.unwrap().is_none());
    assert_eq!(store.tenant("team-q").await.unwrap().unwrap().quotas, small);
    assert!(!store.set_tenant_quotas("nobody", &small).await.unwrap());
}

pub async fn tenant_sandbox_policies_round_trip_and_bad_ones_change_nothing(store: &dyn Store) {
    let sandbox = TenantSandbox {
        egress_allow: Some(vec![
            "https://*.example.com".into(),
            "tcp://db.internal:5432".into(),
        ]),
        default_fuel: Some(1_000_000),
        max_fuel: Some(5_000_000),
        max_memory_bytes: Some(64 << 20),
        ..TenantSandbox::default()
    };
    store
        .create_tenant(Tenant {
            sandbox: sandbox.clone(),
            ..tenant("team-s")
        })
        .await
        .unwrap();
    let read = store.tenant("team-s").await.unwrap().unwrap();
    assert_eq!(read.sandbox, sandbox);
    assert!(
        store
            .tenants()
            .await
            .unwrap()
            .iter()
            .any(|t| t.name == "team-s" && t.sandbox == sandbox)
    );

    // Nowhere (an empty list) is not the same as no policy of its own.
    let nowhere = TenantSandbox {
        egress_allow: Some(Vec::new()),
        ..TenantSandbox::default()
    };
    assert!(store.set_tenant_sandbox("team-s", &nowhere).await.unwrap());
    assert_eq!(
        store.tenant("team-s").await.unwrap().unwrap().sandbox,
        nowhere
    );

    // A bad policy is refused and changes nothing.
    let bad = TenantSandbox {
        default_fuel: Some(10),
        max_fuel: Some(5),
        ..TenantSandbox::default()
    };
    match store.set_tenant_sandbox("team-s", &bad).await {
        Err(StoreError::Invalid(m)) => assert!(m.contains("default_fuel"), "{m}"),
        other => panic!("{other:?}"),
    }
    let bad_rule = TenantSandbox {
        egress_allow: Some(vec!["gopher://x".into()]),
        ..TenantSandbox::default()
    };
    assert!(matches!(
        store.set_tenant_sandbox("team-s", &bad_rule).await,
        Err(StoreError::Invalid(_))
    ));
    assert_eq!(
        store.tenant("team-s").await.unwrap().unwrap().sandbox,
        nowhere
    );

    // Back to none; an unknown tenant is said so.
    assert!(
        store
            .set_tenant_sandbox("team-s", &TenantSandbox::default())
            .await
            .unwrap()
    );
    assert_eq!(
        store.tenant("team-s").await.unwrap().unwrap().sandbox,
        TenantSandbox::default()
    );
    assert!(
        !store
            .set_tenant_sandbox("nobody", &TenantSandbox::default())
            .await
            .unwrap()
    );
}
