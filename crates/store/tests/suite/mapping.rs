//! Mapped tasks in the store: an expansion writes the instances once (fenced by the mapped
//! task's lease and state), an empty or failed one ends the mapped task, the mapped task's
//! end stores its instances' outputs as one JSON array, and clearing it forgets the
//! expansion with its instances and their values.

use weft_model::TaskState;
use weft_store::{
    EndMapped, ExpandTask, Expansion, RETURN_VALUE, SetTaskState, Store, TaskInstance, WriteBatch,
};

use super::{finish, queue, run_of, start, ts, write};

fn expansion(ti: &TaskInstance, into: Expansion) -> ExpandTask {
    ExpandTask {
        leader: None,
        ti: ti.id,
        lease: ti.lease,
        from: ti.state,
        at: ts(10),
        into,
    }
}

/// Run the instance through one successful attempt with `output`.
async fn succeed(store: &dyn Store, instance: &TaskInstance, output: &[u8]) {
    let batch = WriteBatch {
        queue: vec![queue(instance)],
        ..WriteBatch::default()
    };
    assert_eq!(write(store, batch).await.queued, vec![true]);
    let mut done = finish(instance.id, instance.lease + 1, TaskState::Success);
    done.output = Some(output.to_vec());
    let batch = WriteBatch {
        start: vec![start(instance.id, instance.lease + 1)],
        finish: vec![done],
        ..WriteBatch::default()
    };
    assert_eq!(write(store, batch).await.finished, vec![true]);
}

pub async fn an_expansion_writes_its_instances_once(store: &dyn Store) {
    let (run, tis) = run_of(store, "mapped", &["list", "each"]).await;
    let each = &tis[1];
    let items = vec!["1".to_owned(), r#"{"a":2}"#.to_owned(), "\"x\"".to_owned()];
    let instances = store
        .expand(expansion(each, Expansion::Instances(items.clone())))
        .await
        .expect("expand")
        .expect("it applies");
    assert_eq!(instances.len(), 3);
    for (k, instance) in instances.iter().enumerate() {
        assert_eq!(instance.task_id, format!("each[{k}]"));
        assert_eq!(instance.map_index, Some(k as u32));
        assert_eq!(instance.map_item.as_deref(), Some(items[k].as_str()));
        assert_eq!((instance.state, instance.lease), (TaskState::None, 0));
        assert_eq!(instance.max_tries, each.max_tries);
        assert_eq!(instance.run_id, run.run_id);
    }
    let (_, now) = store.run(run.id).await.expect("read").expect("run");
    let parent = now.iter().find(|t| t.task_id == "each").expect("each");
    assert_eq!(
        (parent.state, parent.map_count, parent.lease),
        (TaskState::Running, Some(3), each.lease + 1)
    );
    assert_eq!(now.len(), 5, "list, each and its three instances");
    // A second expansion, as a second scheduler would try, writes nothing.
    let again = store
        .expand(expansion(each, Expansion::Instances(items)))
        .await
        .expect("expand");
    assert_eq!(again, None);
    let (_, after) = store.run(run.id).await.expect("read").expect("run");
    assert_eq!(after.len(), 5);
}

pub async fn empty_and_failed_expansions_end_the_mapped_task(store: &dyn Store) {
    let (run, tis) = run_of(store, "mapped", &["a", "b"]).await;
    let none = store
        .expand(expansion(&tis[0], Expansion::Empty))
        .await
        .expect("expand")
        .expect("applies");
    assert!(none.is_empty());
    let failed = store
        .expand(expansion(
            &tis[1],
            Expansion::Failed("too many items".into()),
        ))
        .await
        .expect("expand")
        .expect("applies");
    assert!(failed.is_empty());
    let (_, now) = store.run(run.id).await.expect("read").expect("run");
    assert_eq!(
        (now[0].state, now[0].map_count, now[0].ended_at),
        (TaskState::Skipped, Some(0), Some(ts(10)))
    );
    assert_eq!(
        (now[1].state, now[1].map_count, now[1].error.as_deref()),
        (TaskState::Failed, None, Some("too many items"))
    );
    assert_eq!(now[1].error_class.as_deref(), Some("mapping"));
}

pub async fn bad_expansions_are_refused(store: &dyn Store) {
    let (run, tis) = run_of(store, "mapped", &["a"]).await;
    let not_json = store
        .expand(expansion(&tis[0], Expansion::Instances(vec!["{".into()])))
        .await
        .expect_err("not JSON");
    assert!(
        not_json.to_string().contains("map item 0 is not JSON"),
        "{not_json}"
    );
    let mut running = expansion(&tis[0], Expansion::Empty);
    running.from = TaskState::Running;
    let refused = store.expand(running).await.expect_err("not from running");
    assert!(
        refused
            .to_string()
            .contains("cannot expand from state running"),
        "{refused}"
    );
    let silent = store
        .expand(expansion(&tis[0], Expansion::Failed(" ".into())))
        .await
        .expect_err("says why");
    assert!(silent.to_string().contains("says why"), "{silent}");
    let (_, now) = store.run(run.id).await.expect("read").expect("run");
    assert_eq!((now[0].state, now[0].map_count), (TaskState::None, None));
}

pub async fn a_mapped_task_ends_with_its_instances_outputs_in_order(store: &dyn Store) {
    let (run, tis) = run_of(store, "mapped", &["each"]).await;
    let items = vec!["1".to_owned(), "2".to_owned(), "3".to_owned()];
    let instances = store
        .expand(expansion(&tis[0], Expansion::Instances(items)))
        .await
        .expect("expand")
        .expect("applies");
    // Out of order, one without JSON output, one without an output at all.
    succeed(store, &instances[2], b"{\"c\": 3}").await;
    succeed(store, &instances[0], b"plain text").await;
    let skip = WriteBatch {
        set_task: vec![SetTaskState {
            ti: instances[1].id,
            state: TaskState::Skipped,
            at: ts(20),
            max_tries: None,
            bump_lease: true,
        }],
        ..WriteBatch::default()
    };
    write(store, skip).await;
    let end = |lease| WriteBatch {
        end_mapped: vec![EndMapped {
            ti: tis[0].id,
            lease,
            state: TaskState::Success,
            at: ts(30),
        }],
        ..WriteBatch::default()
    };
    // Under a stale lease, nothing.
    assert_eq!(
        write(store, end(tis[0].lease)).await.ended_mapped,
        vec![false]
    );
    assert_eq!(
        write(store, end(tis[0].lease + 1)).await.ended_mapped,
        vec![true]
    );
    let output = store
        .xcom(run.id, "each", RETURN_VALUE)
        .await
        .expect("xcom")
        .expect("an output");
    assert_eq!(output, br#"["plain text",null,{"c":3}]"#);
    let (_, now) = store.run(run.id).await.expect("read").expect("run");
    assert_eq!(
        (now[0].state, now[0].ended_at),
        (TaskState::Success, Some(ts(30)))
    );
    // Once ended, it does not end again.
    assert_eq!(
        write(store, end(tis[0].lease + 1)).await.ended_mapped,
        vec![false]
    );
    // Reopened (an instance cleared), it ends failed: its old output goes.
    let reopen = WriteBatch {
        set_task: vec![SetTaskState {
            ti: tis[0].id,
            state: TaskState::Running,
            at: ts(40),
            max_tries: None,
            bump_lease: false,
        }],
        ..WriteBatch::default()
    };
    write(store, reopen).await;
    let failed = WriteBatch {
        end_mapped: vec![EndMapped {
            ti: tis[0].id,
            lease: tis[0].lease + 1,
            state: TaskState::Failed,
            at: ts(50),
        }],
        ..WriteBatch::default()
    };
    assert_eq!(write(store, failed).await.ended_mapped, vec![true]);
    assert_eq!(
        store
            .xcom(run.id, "each", RETURN_VALUE)
            .await
            .expect("xcom"),
        None
    );
}

pub async fn clearing_a_mapped_task_forgets_its_expansion(store: &dyn Store) {
    let (run, tis) = run_of(store, "mapped", &["each", "other"]).await;
    let instances = store
        .expand(expansion(
            &tis[0],
            Expansion::Instances(vec!["1".into(), "2".into()]),
        ))
        .await
        .expect("expand")
        .expect("applies");
    succeed(store, &instances[0], b"1").await;
    let clear = WriteBatch {
        set_task: vec![SetTaskState {
            ti: tis[0].id,
            state: TaskState::None,
            at: ts(40),
            max_tries: None,
            bump_lease: true,
        }],
        ..WriteBatch::default()
    };
    write(store, clear).await;
    let (_, now) = store.run(run.id).await.expect("read").expect("run");
    let ids: Vec<&str> = now.iter().map(|t| t.task_id.as_str()).collect();
    assert_eq!(ids, ["each", "other"], "the instances are gone");
    assert_eq!((now[0].state, now[0].map_count), (TaskState::None, None));
    assert_eq!(
        store
            .xcom(run.id, "each[0]", RETURN_VALUE)
            .await
            .expect("xcom"),
        None
    );
    assert_eq!(
        store.task_log(instances[0].id, 1).await.expect("log"),
        None,
        "its instances' logs went with them"
    );
    // It may expand again, under its new lease.
    let again = store
        .expand(expansion(&now[0], Expansion::Instances(vec!["7".into()])))
        .await
        .expect("expand")
        .expect("applies");
    assert_eq!(again.len(), 1);
    assert_eq!(again[0].task_id, "each[0]");
}
