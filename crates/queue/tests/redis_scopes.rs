//! Scoped queues of [`RedisQueue`] against real Redis servers of their own: where a scope's
//! keys live, and a worker whose Redis ACL user reaches one scope (the rules
//! `weft_redis::acl::worker_rules` makes for a tenant's worker) serving that scope and refused
//! everything else, also inside the Lua scripts.

use std::error::Error as _;
use std::time::{Duration, Instant};

use weft_queue::{Message, Queue, QueueError, RedisQueue};
use weft_testkit::RedisServer;

mod support;

use support::{LEASE, counts, names, own_server};

/// Every key on `server`, sorted.
fn all_keys(server: &RedisServer) -> Vec<String> {
    let keys = server.cli(&["--scan"]).expect("scan");
    let mut keys: Vec<String> = keys
        .lines()
        .filter(|k| !k.is_empty())
        .map(str::to_owned)
        .collect();
    keys.sort();
    keys
}

#[tokio::test]
async fn a_scope_keeps_every_key_under_its_own_prefix() {
    let server = own_server();
    let queue = RedisQueue::connect(server.url(), "weft")
        .await
        .expect("connect");
    assert_eq!(
        all_keys(&server),
        Vec::<String>::new(),
        "connect writes nothing"
    );

    queue
        .push(vec![
            Message::new("a/default", "a1").with_key("k"),
            Message::new("a/other", "a2"),
            Message::new("b/default", "b1"),
        ])
        .await
        .expect("push");
    let got = queue
        .take(
            &names(&["a/default", "a/other"]),
            1,
            LEASE * 20,
            Duration::ZERO,
        )
        .await
        .expect("take");
    assert_eq!(got[0].queue, "a/default");
    assert!(got[0].id.as_str().starts_with("a/"), "{}", got[0].id);
    let lost = queue.extend(&[got[0].id.clone()], LEASE * 20).await;
    assert!(lost.expect("extend").is_empty());
    // An id of a scope never pushed to is lost, and leaves no key behind.
    let unknown = vec![weft_queue::DeliveryId::new("zz/1.1@0123456789abcdef")];
    assert_eq!(queue.ack(&unknown).await.expect("ack"), unknown);

    let keys = all_keys(&server);
    let (a, rest): (Vec<&str>, Vec<&str>) = keys
        .iter()
        .map(String::as_str)
        .partition(|k| k.starts_with("weft:q:t:a:"));
    let (b, root): (Vec<&str>, Vec<&str>) =
        rest.into_iter().partition(|k| k.starts_with("weft:q:t:b:"));
    assert_eq!(
        root,
        ["weft:q:scopes", "weft:q:scopes-signal"],
        "only the registry of scopes is outside the scopes"
    );
    for key in [
        "weft:q:t:a:generation",
        "weft:q:t:a:seq",
        "weft:q:t:a:names",
        "weft:q:t:a:keys",
        "weft:q:t:a:leases",
        "weft:q:t:a:leased",
        "weft:q:t:a:ready:other",
        "weft:q:t:a:signal:default",
        "weft:q:t:a:signal:other",
    ] {
        assert!(a.contains(&key), "{key} missing from {a:?}");
    }
    assert_eq!(
        a.iter().filter(|k| k.starts_with("weft:q:t:a:m:")).count(),
        2
    );
    assert!(b.contains(&"weft:q:t:b:ready:default"), "{b:?}");
    let members = server
        .cli(&["smembers", "weft:q:scopes"])
        .expect("smembers");
    let mut members: Vec<&str> = members.lines().collect();
    members.sort_unstable();
    assert_eq!(members, ["a", "b"]);

    // Scoped stats under full names; the root generation is the flush detector's alone.
    let stats = queue.stats().await.expect("stats");
    let listed: Vec<(&str, u64, u64)> = stats
        .iter()
        .map(|s| (s.queue.as_str(), s.ready, s.leased))
        .collect();
    assert_eq!(
        listed,
        [("a/default", 0, 1), ("a/other", 1, 0), ("b/default", 1, 0)]
    );
    let generation = queue.generation().await.expect("generation");
    let a_generation = server.cli(&["get", "weft:q:t:a:generation"]).expect("get");
    assert_ne!(generation, a_generation.trim());
    assert!(got[0].id.as_str().ends_with(a_generation.trim()));
}

/// Creates user `worker-a` with password `pw` for scope `a` of `namespace`, from the rules
/// of a tenant's worker.
fn create_worker_user(server: &RedisServer, namespace: &str) -> String {
    let rules = weft_redis::acl::worker_rules(namespace, &["a".to_owned()]).expect("acl rules");
    let mut args = vec!["ACL", "SETUSER", "worker-a", "reset", "on", ">pw"];
    args.extend(rules.iter().map(String::as_str));
    let reply = server.cli(&args).expect("acl setuser");
    assert_eq!(reply.trim(), "OK", "ACL SETUSER {args:?}");
    let port = server.port().expect("a server of our own");
    format!("redis://worker-a:pw@127.0.0.1:{port}/")
}

fn assert_denied(result: Result<impl std::fmt::Debug, QueueError>, what: &str) {
    match result {
        Err(err @ QueueError::Denied { .. }) => {
            assert!(!err.is_retriable(), "{what}: {err}");
            assert!(err.to_string().contains("refused access"), "{what}: {err}");
            assert!(
                err.source().is_some(),
                "{what}: the server's reason is kept"
            );
        }
        other => panic!("{what}: expected the server to refuse access, got {other:?}"),
    }
}

#[tokio::test]
async fn a_worker_user_of_one_scope_serves_it_and_nothing_else() {
    let server = own_server();
    // Glob characters in the namespace must match themselves in the ACL key pattern.
    let namespace = "weft[1]";
    let scheduler = RedisQueue::connect(server.url(), namespace)
        .await
        .expect("connect");
    scheduler
        .push(vec![
            Message::new("a/default", "a1"),
            Message::new("a/default", "a2").with_key("k"),
            Message::new("b/default", "b1"),
            Message::new("default", "unscoped"),
        ])
        .await
        .expect("push");
    let url = create_worker_user(&server, namespace);
    let worker = RedisQueue::connect(&url, namespace)
        .await
        .expect("a scope's user connects");

    // Its own scope: take (the take script is loaded by this user), extend, release, ack.
    let got = worker
        .take(&names(&["a/default"]), 10, LEASE * 20, Duration::ZERO)
        .await
        .expect("take on its scope");
    let taken: Vec<(&str, &[u8])> = got
        .iter()
        .map(|d| (d.queue.as_str(), &d.payload[..]))
        .collect();
    assert_eq!(
        taken,
        [("a/default", &b"a1"[..]), ("a/default", &b"a2"[..])]
    );
    let ids: Vec<_> = got.iter().map(|d| d.id.clone()).collect();
    assert!(
        worker
            .extend(&ids, LEASE * 20)
            .await
            .expect("extend")
            .is_empty()
    );
    assert!(worker.release(&ids[1..]).await.expect("release").is_empty());
    assert!(worker.ack(&ids[..1]).await.expect("ack").is_empty());
    let again = worker
        .take(&names(&["a/default"]), 10, LEASE * 20, Duration::ZERO)
        .await
        .expect("take again");
    assert_eq!(
        (&again[0].payload[..], again[0].deliveries),
        (&b"a2"[..], 2)
    );
    assert!(
        worker
            .ack(&[again[0].id.clone()])
            .await
            .expect("ack")
            .is_empty()
    );
    assert_eq!(counts(&scheduler, "a/default").await, (0, 0));

    // A waiting take blocks on its scope's signal stream, and a push wakes it.
    let start = Instant::now();
    let pusher = scheduler.clone();
    let push = tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(300)).await;
        pusher.push(vec![Message::new("a/default", "later")]).await
    });
    let woken = worker
        .take(
            &names(&["a/default"]),
            1,
            LEASE * 20,
            Duration::from_secs(20),
        )
        .await
        .expect("waiting take");
    push.await.expect("join").expect("push");
    assert_eq!(&woken[0].payload[..], b"later");
    assert!(
        start.elapsed() < Duration::from_secs(5),
        "{:?}",
        start.elapsed()
    );
    assert!(
        worker
            .ack(&[woken[0].id.clone()])
            .await
            .expect("ack")
            .is_empty()
    );

    // Another scope, the unscoped queues, the registry and pushing are refused.
    assert_denied(
        worker
            .take(&names(&["b/default"]), 1, LEASE, Duration::ZERO)
            .await,
        "take on another scope",
    );
    // Given its scope and another, it serves its own and passes over the one refused.
    scheduler
        .push(vec![Message::new("a/default", "a3")])
        .await
        .expect("push");
    let mixed = worker
        .take(
            &names(&["b/default", "a/default"]),
            2,
            LEASE * 20,
            Duration::ZERO,
        )
        .await
        .expect("a take over its scope and a refused one serves its own");
    assert_eq!(mixed.len(), 1, "{mixed:?}");
    assert_eq!(&mixed[0].payload[..], b"a3");
    assert!(
        worker
            .ack(&[mixed[0].id.clone()])
            .await
            .expect("ack")
            .is_empty()
    );
    assert_denied(
        worker
            .take(&names(&["default"]), 1, LEASE, Duration::ZERO)
            .await,
        "take on an unscoped queue",
    );
    assert_denied(
        worker
            .take(&names(&["*/default"]), 1, LEASE, Duration::ZERO)
            .await,
        "take on every scope",
    );
    assert_denied(
        worker.push(vec![Message::new("a/default", "x")]).await,
        "push",
    );
    assert_denied(worker.stats().await, "stats");
    assert_denied(worker.generation().await, "generation");
    let b = scheduler
        .take(&names(&["b/default"]), 1, LEASE * 20, Duration::ZERO)
        .await
        .expect("the scheduler takes from b");
    let b_ids = vec![b[0].id.clone()];
    assert_denied(worker.ack(&b_ids).await, "ack of another scope's delivery");
    assert_denied(
        worker.release(&b_ids).await,
        "release of another scope's delivery",
    );
    assert!(
        scheduler.ack(&b_ids).await.expect("ack").is_empty(),
        "b's lease is intact"
    );
    assert_eq!(counts(&scheduler, "default").await, (1, 0));

    // The refusals of scripts came from inside them: Redis checked the keys named by
    // `redis.call` (EVALSHA itself names no key) against the user's ACL.
    let log = server.cli(&["ACL", "LOG", "100"]).expect("acl log");
    let log: Vec<&str> = log.lines().collect();
    let from_scripts = log
        .windows(6)
        .filter(|w| w[0] == "reason" && w[1] == "key" && w[2] == "context" && w[3] == "lua")
        .map(|w| w[5])
        .collect::<Vec<_>>();
    assert!(
        from_scripts.contains(&"weft[1]:q:t:b:generation"),
        "no script refusal on b's keys in the ACL log: {log:?}"
    );
}

#[tokio::test]
async fn a_damaged_scope_holds_up_no_other_scope() {
    let server = own_server();
    let namespace = "weft";
    let queue = RedisQueue::connect(server.url(), namespace)
        .await
        .expect("connect");
    queue
        .push(vec![
            Message::new("a/default", "a1"),
            Message::new("b/default", "b1"),
        ])
        .await
        .expect("push");
    // Whoever may write b's keys breaks them: b's scripts fail from now on.
    server
        .cli(&["SET", "weft:q:t:b:leases", "not a sorted set"])
        .expect("damage b");
    let pushed = queue
        .push(vec![
            Message::new("b/default", "b2"),
            Message::new("a/default", "a2"),
            Message::new("b/default", "b3"),
        ])
        .await;
    match pushed {
        Err(QueueError::PartlyPushed { failed, source }) => {
            assert_eq!(failed, [0, 2], "b's messages are the ones not pushed");
            assert!(source.to_string().contains("push"), "{source}");
        }
        other => panic!("{other:?}"),
    }
    // A take over every scope serves a's messages, and so does one naming b first.
    for queues in [names(&["*/default"]), names(&["b/default", "a/default"])] {
        let got = queue
            .take(&queues, 10, LEASE * 20, Duration::ZERO)
            .await
            .expect("a's part answers");
        let payloads: Vec<&[u8]> = got.iter().map(|d| &d.payload[..]).collect();
        assert!(payloads.iter().all(|p| p.starts_with(b"a")), "{payloads:?}");
        let ids: Vec<_> = got.iter().map(|d| d.id.clone()).collect();
        assert!(queue.release(&ids).await.expect("release").is_empty());
    }
    // Only b's scope is named: the take fails when every scope it asks failed.
    let only_b = queue
        .take(&names(&["b/default"]), 1, LEASE, Duration::ZERO)
        .await;
    assert!(only_b.is_err(), "{only_b:?}");
    // Every message of a push to b alone fails as one error, not a partial one.
    match queue.push(vec![Message::new("b/default", "b4")]).await {
        Err(QueueError::PartlyPushed { .. }) | Ok(()) => panic!("b is damaged"),
        Err(e) => assert_eq!(e.not_pushed(1), [0]),
    }
}

#[tokio::test]
async fn a_worker_user_cannot_reach_other_keys_directly() {
    let server = own_server();
    let namespace = "weft";
    let scheduler = RedisQueue::connect(server.url(), namespace)
        .await
        .expect("connect");
    scheduler
        .push(vec![
            Message::new("a/default", "a1"),
            Message::new("b/default", "b1"),
        ])
        .await
        .expect("push");
    let url = create_worker_user(&server, namespace);
    let client = redis::Client::open(url.as_str()).expect("client");
    let mut raw = client
        .get_multiplexed_async_connection()
        .await
        .expect("the worker user connects");

    let own: redis::RedisResult<i64> = redis::cmd("ZCARD")
        .arg("weft:q:t:a:ready:default")
        .query_async(&mut raw)
        .await;
    // ZCARD is not among a worker's commands (stats are the scheduler's).
    assert_eq!(
        own.expect_err("zcard").code(),
        Some("NOPERM"),
        "a command outside the list"
    );
    let own: Vec<String> = redis::cmd("ZRANGE")
        .arg("weft:q:t:a:ready:default")
        .arg(0)
        .arg(-1)
        .query_async(&mut raw)
        .await
        .expect("its own scope's keys");
    assert_eq!(own.len(), 1);

    for (command, args) in [
        ("ZRANGE", vec!["weft:q:t:b:ready:default", "0", "-1"]),
        ("GET", vec!["weft:q:t:b:generation"]),
        ("DEL", vec!["weft:q:t:b:ready:default"]),
        ("SMEMBERS", vec!["weft:q:scopes"]),
        ("XREAD", vec!["STREAMS", "weft:q:t:b:signal:default", "0-0"]),
        ("SCAN", vec!["0"]),
        ("KEYS", vec!["*"]),
        ("FLUSHALL", vec![]),
    ] {
        let refused: redis::RedisResult<redis::Value> =
            redis::cmd(command).arg(&args).query_async(&mut raw).await;
        let err = refused.expect_err(command);
        assert_eq!(err.code(), Some("NOPERM"), "{command} {args:?}: {err}");
    }

    // A script of its own, run as the worker, reaches its scope's keys and not b's: Redis
    // checks the keys named by `redis.call` against the caller's ACL.
    let script = redis::Script::new("return redis.call('GET', ARGV[1])");
    let own: redis::RedisResult<Option<String>> = script
        .arg("weft:q:t:a:generation")
        .invoke_async(&mut raw)
        .await;
    assert!(own.expect("a script on its own keys").is_some());
    let refused: redis::RedisResult<Option<String>> = script
        .arg("weft:q:t:b:generation")
        .invoke_async(&mut raw)
        .await;
    let err = refused.expect_err("a script touching b's keys");
    assert!(
        err.to_string().contains("can't access") || err.code() == Some("NOPERM"),
        "{err}"
    );
    assert_eq!(counts(&scheduler, "b/default").await, (1, 0));

    let bad = format!(
        "redis://worker-a:s3cret-bad@127.0.0.1:{}/",
        server.port().expect("port")
    );
    let err = RedisQueue::connect(&bad, namespace)
        .await
        .expect_err("a wrong password");
    assert!(!err.to_string().contains("s3cret-bad"), "{err}");
    assert_denied(Err::<(), _>(err), "connecting with a wrong password");
}
