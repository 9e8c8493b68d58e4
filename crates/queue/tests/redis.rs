//! [`RedisQueue`] against real Redis servers: the conformance suite on the shared test
//! server (a namespace per test), and, on servers of their own, what only a networked
//! backend meets: flushes, restarts, bad URLs, unreachable servers, several clients.

use std::net::{Ipv4Addr, TcpListener};
use std::sync::Arc;
use std::time::{Duration, Instant};

use weft_queue::testsuite::{self, RealClock};
use weft_queue::{BadInput, Message, Queue, QueueError, RedisQueue};

mod support;

use support::{LEASE, counts, names, own_server};

/// A queue on a namespace of its own of the shared test server.
async fn fresh() -> RedisQueue {
    let namespace = weft_testkit::unique_name("queue");
    RedisQueue::connect(weft_testkit::redis().url(), &namespace)
        .await
        .expect("connect to the shared test server")
}

/// A queue on `server`'s `weft` namespace.
async fn connect(server: &weft_testkit::RedisServer) -> RedisQueue {
    RedisQueue::connect(server.url(), "weft")
        .await
        .expect("connect")
}

#[tokio::test]
async fn conformance_suite() {
    testsuite::run_all(&fresh().await, &RealClock { lease: LEASE }).await;
}

#[tokio::test]
async fn namespaces_are_apart_and_keys_stay_under_theirs() {
    let server = own_server();
    let a = RedisQueue::connect(server.url(), "team-a")
        .await
        .expect("a");
    let b = RedisQueue::connect(server.url(), "team-b")
        .await
        .expect("b");
    a.push(vec![Message::new("q", "for a").with_key("k")])
        .await
        .expect("push");
    b.push(vec![Message::new("q", "for b").with_key("k")])
        .await
        .expect("push");
    let got = a.take(&names(&["q"]), 10, LEASE, Duration::ZERO).await;
    let got = got.expect("take");
    assert_eq!(got.len(), 1, "a's key does not replace b's message");
    assert_eq!(&got[0].payload[..], b"for a");
    assert_eq!(counts(&b, "q").await, (1, 0));
    assert_ne!(a.generation().await.ok(), b.generation().await.ok());

    let keys = server.cli(&["--scan"]).expect("scan");
    let keys: Vec<&str> = keys.lines().filter(|k| !k.is_empty()).collect();
    assert!(!keys.is_empty());
    for key in keys {
        assert!(
            key.starts_with("team-a:q:") || key.starts_with("team-b:q:"),
            "key {key:?} outside its namespace"
        );
    }
}

#[tokio::test]
async fn odd_queue_names_and_binary_payloads_round_trip() {
    let queue = fresh().await;
    let odd = ["a", "a:b", "with space", "ünïcode", "ready:a", "*"];
    let big = vec![0xA5u8; 1 << 20];
    let mut batch: Vec<Message> = odd
        .iter()
        .map(|q| Message::new(*q, q.as_bytes().to_vec()))
        .collect();
    batch.push(Message::new("bin", vec![0u8, 255, 0, 10, 13]));
    batch.push(Message::new("bin", big.clone()));
    queue.push(batch).await.expect("push");
    for q in odd {
        let got = queue.take(&names(&[q]), 10, LEASE, Duration::ZERO).await;
        let got = got.expect("take");
        assert_eq!(got.len(), 1, "queue {q:?}");
        assert_eq!(
            (got[0].queue.as_str(), &got[0].payload[..]),
            (q, q.as_bytes())
        );
    }
    let bin = queue
        .take(&names(&["bin"]), usize::MAX, LEASE, Duration::ZERO)
        .await;
    let bin = bin.expect("take");
    assert_eq!(&bin[0].payload[..], &[0u8, 255, 0, 10, 13]);
    assert_eq!(bin[1].payload.len(), big.len());
    assert!(bin[1].payload.iter().all(|&b| b == 0xA5));
}

#[tokio::test]
async fn a_push_from_another_client_wakes_a_waiting_take() {
    let namespace = weft_testkit::unique_name("queue");
    let url = weft_testkit::redis().url();
    let worker = RedisQueue::connect(url, &namespace).await.expect("connect");
    let scheduler = RedisQueue::connect(url, &namespace).await.expect("connect");
    let start = Instant::now();
    let pusher = tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(300)).await;
        scheduler.push(vec![Message::new("q", "m")]).await
    });
    let got = worker
        .take(&names(&["q"]), 1, LEASE, Duration::from_secs(20))
        .await
        .expect("take");
    let waited = start.elapsed();
    pusher.await.expect("join").expect("push");
    assert_eq!(got.len(), 1);
    assert!(
        waited >= Duration::from_millis(300) && waited < Duration::from_secs(5),
        "woken after {waited:?}"
    );
}

/// A waiting take blocks on the server; it does not poll it.
#[tokio::test]
async fn a_waiting_take_does_not_poll() {
    let server = own_server();
    let queue = connect(&server).await;
    let calls = || command_calls(&server, &["evalsha", "xread"]);
    let before = calls();
    let got = queue
        .take(&names(&["q"]), 1, LEASE, Duration::from_secs(2))
        .await
        .expect("take");
    assert!(got.is_empty());
    let during = calls() - before;
    assert!(
        (2..=6).contains(&during),
        "a 2 s wait made {during} script and XREAD calls"
    );
}

/// Calls so far on `server` of the `commands` (lower case, as `INFO commandstats` names them).
fn command_calls(server: &weft_testkit::RedisServer, commands: &[&str]) -> u64 {
    let info = server.cli(&["info", "commandstats"]).expect("info");
    info.lines()
        .filter_map(|l| l.strip_prefix("cmdstat_")?.split_once(':'))
        .filter(|(command, _)| commands.contains(command))
        .filter_map(|(_, stats)| {
            stats
                .split_once("calls=")?
                .1
                .split(',')
                .next()?
                .parse::<u64>()
                .ok()
        })
        .sum()
}

/// Calls of the queue's scripts so far on `server`.
fn script_calls(server: &weft_testkit::RedisServer) -> u64 {
    command_calls(server, &["evalsha"])
}

/// A take of a queue in every scope, woken by a push, takes the message with one script
/// call: the scope registry it read before the wait still serves it.
#[tokio::test]
async fn a_take_woken_by_a_push_takes_in_one_call() {
    let server = own_server();
    let worker = Arc::new(connect(&server).await);
    let scheduler = connect(&server).await;
    let every_scope = names(&["*/q"]);
    // What one push costs, measured on the second of two messages each taken at once (the
    // first registers the scope and loads the scripts).
    let mut push = 0;
    for payload in ["first", "second"] {
        let before = script_calls(&server);
        scheduler
            .push(vec![Message::new("a/q", payload)])
            .await
            .expect("push");
        push = script_calls(&server) - before;
        let taken = worker
            .take(&every_scope, 1, LEASE, Duration::ZERO)
            .await
            .expect("take");
        assert_eq!(taken.len(), 1);
        worker.ack(&[taken[0].id.clone()]).await.expect("ack");
    }

    // A take that gives up at once reads the registry afresh: the waiting take below finds
    // it kept from a moment ago.
    let none = worker
        .take(&every_scope, 1, LEASE, Duration::ZERO)
        .await
        .expect("take");
    assert!(none.is_empty());
    let before_wait = script_calls(&server);
    let waiting = tokio::spawn({
        let worker = worker.clone();
        let every_scope = every_scope.clone();
        async move {
            worker
                .take(&every_scope, 1, LEASE, Duration::from_secs(20))
                .await
        }
    });
    let waiter = blocked_client(&server).await;
    // The take that found nothing waits on the registry it read a moment ago (its signal
    // ends the wait if a scope is made since): one script, not a second read and take.
    assert_eq!(
        script_calls(&server) - before_wait,
        1,
        "an empty take that waits runs its take script only"
    );
    let before = script_calls(&server);
    scheduler
        .push(vec![Message::new("a/q", "third")])
        .await
        .expect("push");
    let got = waiting.await.expect("join").expect("take");
    assert_eq!(got.len(), 1);
    assert_eq!(&got[0].payload[..], b"third");
    let calls = script_calls(&server) - before;
    assert_eq!(
        calls,
        push + 1,
        "the push's {push} script calls and the woken take's one"
    );
    // That one ran on the waiting connection, sent behind its XREAD: the take cost no
    // request of its own after the wake-up.
    let waiter = server
        .cli(&["client", "list", "id", &waiter])
        .expect("client list");
    assert!(
        waiter.contains("cmd=evalsha"),
        "the waiting connection's last command was not the take script: {waiter}"
    );
}

/// The id of the client blocked in an `XREAD` on `server`, once there is one.
async fn blocked_client(server: &weft_testkit::RedisServer) -> String {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let clients = server.cli(&["client", "list"]).expect("client list");
        let blocked = clients.lines().find(|l| l.contains("cmd=xread"));
        if let Some(id) = blocked.and_then(|l| l.strip_prefix("id=")?.split(' ').next()) {
            return id.to_owned();
        }
        assert!(Instant::now() < deadline, "no take blocked on the server");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

/// A take dropped while it waits hands back, at once, what the take script sent behind its
/// wait leased when a push ended the wait: another take gets it long before that lease
/// would have run out.
#[tokio::test]
async fn a_take_dropped_while_it_waits_hands_back_what_its_wait_took() {
    let server = own_server();
    let lease = Duration::from_secs(600);
    let worker = connect(&server).await;
    let other = connect(&server).await;
    let waiting = tokio::spawn({
        let worker = worker.clone();
        async move {
            worker
                .take(&names(&["q"]), 1, lease, Duration::from_secs(60))
                .await
        }
    });
    let waiter = blocked_client(&server).await;
    waiting.abort();
    assert!(waiting.await.is_err_and(|e| e.is_cancelled()));
    other
        .push(vec![Message::new("q", "m")])
        .await
        .expect("push");
    let got = other
        .take(&names(&["q"]), 1, lease, Duration::from_secs(20))
        .await
        .expect("take");
    assert_eq!(got.len(), 1, "the message was not handed back");
    assert_eq!(&got[0].payload[..], b"m");
    assert_eq!(
        got[0].deliveries, 2,
        "the dropped take's wait took it first"
    );
    let waiter = server
        .cli(&["client", "list", "id", &waiter])
        .expect("client list");
    assert!(waiter.contains("cmd=evalsha"), "{waiter}");
}

/// Several clients taking and acknowledging while two push: each message once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_clients_deliver_each_message_once() {
    let queue = fresh().await;
    testsuite::concurrent_clients_deliver_each_message_once(Arc::new(queue), 1_000).await;
}

#[tokio::test]
async fn a_flush_changes_the_generation_and_fences_old_ids() {
    let server = own_server();
    let queue = connect(&server).await;
    let before = queue.generation().await.expect("generation");
    queue
        .push(vec![Message::new("q", "old")])
        .await
        .expect("push");
    let old = queue
        .take(&names(&["q"]), 1, LEASE * 20, Duration::ZERO)
        .await;
    let old = old.expect("take");

    server.cli(&["flushall"]).expect("flushall");
    let after = queue.generation().await.expect("generation");
    assert_ne!(after, before, "the contents were lost");
    assert_eq!(queue.generation().await.expect("generation"), after);

    // The same message number and delivery count come round again; the old id must not
    // touch the new delivery.
    queue
        .push(vec![Message::new("q", "new")])
        .await
        .expect("push");
    let new = queue
        .take(&names(&["q"]), 1, LEASE * 20, Duration::ZERO)
        .await;
    let new = new.expect("take");
    assert_eq!(&new[0].payload[..], b"new");
    let stale = vec![old[0].id.clone()];
    assert_eq!(queue.ack(&stale).await.expect("ack"), stale);
    assert_eq!(queue.extend(&stale, LEASE).await.expect("extend"), stale);
    assert_eq!(queue.release(&stale).await.expect("release"), stale);
    assert_eq!(counts(&queue, "q").await, (0, 1));
    assert!(
        queue
            .ack(&[new[0].id.clone()])
            .await
            .expect("ack")
            .is_empty()
    );
}

#[tokio::test]
async fn the_queue_recovers_after_its_server_restarts() {
    let mut server = own_server();
    let queue = connect(&server).await;
    let before = queue.generation().await.expect("generation");
    queue
        .push(vec![Message::new("q", "a")])
        .await
        .expect("push");
    // A waiting connection exists before the restart, to be found dead after it.
    let empty = queue.take(&names(&["idle"]), 1, LEASE, LEASE / 5).await;
    assert!(empty.expect("take").is_empty());

    server.shut_down().expect("shut down");
    let start = Instant::now();
    let err = queue
        .push(vec![Message::new("q", "b")])
        .await
        .expect_err("push with the server down");
    assert!(err.is_retriable(), "{err:?}");
    assert!(matches!(err, QueueError::Unavailable { .. }), "{err:?}");
    let err = queue.take(&names(&["q"]), 1, LEASE, LEASE).await;
    assert!(err.expect_err("take with the server down").is_retriable());
    assert!(
        start.elapsed() < Duration::from_secs(10),
        "failing took {:?}",
        start.elapsed()
    );

    server.start_again().expect("start again");
    let deadline = Instant::now() + Duration::from_secs(15);
    let after = loop {
        match queue.generation().await {
            Ok(generation) => break generation,
            Err(e) if Instant::now() < deadline => {
                assert!(e.is_retriable(), "{e:?}");
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            Err(e) => panic!("the queue did not recover: {e:?}"),
        }
    };
    assert_ne!(
        after, before,
        "a restart without persistence lost the contents"
    );

    queue
        .push(vec![Message::new("q", "c")])
        .await
        .expect("push");
    let got = queue
        .take(&names(&["q"]), 10, LEASE, Duration::from_secs(5))
        .await;
    let got = got.expect("take after the restart");
    assert_eq!(got.len(), 1);
    assert_eq!(&got[0].payload[..], b"c");
    // Waiting works again too (on a new blocking connection).
    let waited = queue.take(&names(&["idle"]), 1, LEASE, LEASE / 5).await;
    assert!(waited.expect("waiting take after the restart").is_empty());
}

#[tokio::test]
async fn bad_urls_and_namespaces_are_rejected_by_name() {
    let cases = [
        "http://127.0.0.1:6379/",
        "redis://user:s3cret@127.0.0.1:notaport/",
        "",
    ];
    for url in cases {
        let start = Instant::now();
        let err = RedisQueue::connect(url, "weft").await.expect_err(url);
        assert!(start.elapsed() < Duration::from_secs(1), "{url}");
        let QueueError::BadInput(BadInput::BadUrl { url: shown, .. }) = &err else {
            panic!("{url:?}: expected a bad URL, got {err:?}");
        };
        assert!(!shown.contains("s3cret") && !err.to_string().contains("s3cret"));
        assert!(!err.is_retriable());
    }
    let url = weft_testkit::redis().url();
    let err = RedisQueue::connect(url, "")
        .await
        .expect_err("no namespace");
    assert!(matches!(
        err,
        QueueError::BadInput(BadInput::EmptyNamespace)
    ));
    assert!(err.to_string().contains("namespace"), "{err}");
}

#[tokio::test]
async fn an_unreachable_server_is_unavailable_quickly() {
    let port = {
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).expect("bind");
        listener.local_addr().expect("address").port()
    };
    let url = format!("redis://:s3cret@127.0.0.1:{port}/");
    let start = Instant::now();
    let err = RedisQueue::connect(&url, "weft")
        .await
        .expect_err("nothing listens there");
    let took = start.elapsed();
    assert!(took < Duration::from_secs(5), "took {took:?}");
    assert!(matches!(err, QueueError::Unavailable { .. }), "{err:?}");
    let text = err.to_string();
    assert!(text.contains(&format!("127.0.0.1:{port}")), "{text}");
    assert!(!text.contains("s3cret"), "{text}");
}

/// Prints the hot-path figure: 10,000 messages pushed in one batch, taken 256 at a time and
/// acknowledged batch by batch; then 1,000 one at a time. (No timing assertion.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn throughput() {
    const MESSAGES: usize = 10_000;
    let queue = fresh().await;
    let qs = names(&["default"]);
    let batch: Vec<Message> = (0..MESSAGES)
        .map(|i| Message::new("default", vec![0u8; 64]).with_priority((i % 3) as i32))
        .collect();
    let start = Instant::now();
    queue.push(batch).await.expect("push");
    let pushed = start.elapsed();
    let mut taken = 0;
    loop {
        let got = queue
            .take(&qs, 256, Duration::from_secs(30), Duration::ZERO)
            .await;
        let got = got.expect("take");
        if got.is_empty() {
            break;
        }
        taken += got.len();
        let ids: Vec<_> = got.into_iter().map(|d| d.id).collect();
        assert!(queue.ack(&ids).await.expect("ack").is_empty());
    }
    let total = start.elapsed();
    assert_eq!(taken, MESSAGES);
    println!(
        "redis: {MESSAGES} messages push (one batch, {pushed:.2?}) + take (256 at a time) + ack \
         = {total:.2?} ({:.0} messages/s)",
        MESSAGES as f64 / total.as_secs_f64()
    );

    let start = Instant::now();
    for _ in 0..1_000 {
        queue
            .push(vec![Message::new("default", "x")])
            .await
            .expect("push");
        let got = queue
            .take(&qs, 1, Duration::from_secs(30), Duration::ZERO)
            .await;
        let ids: Vec<_> = got.expect("take").into_iter().map(|d| d.id).collect();
        assert!(queue.ack(&ids).await.expect("ack").is_empty());
    }
    let each = start.elapsed() / 1_000;
    println!("redis: one at a time, push + take + ack = {each:.2?} per message");
}

/// A push to a scope it registered a moment ago runs its push script alone; after the server
/// lost its contents (the registry with them), the next push registers the scope again, so a
/// take of every scope still finds its message.
#[tokio::test]
async fn a_push_registers_its_scope_once_and_again_after_the_server_lost_it() {
    let server = own_server();
    let scheduler = connect(&server).await;
    let worker = connect(&server).await;
    // Loads the scripts.
    scheduler
        .push(vec![Message::new("warm/q", "warm")])
        .await
        .expect("push");
    let pushed = |payload: &'static str| {
        let scheduler = scheduler.clone();
        async move {
            scheduler
                .push(vec![Message::new("a/q", payload)])
                .await
                .expect("push");
        }
    };
    // A registration spares the pushes of the next second; these take milliseconds.
    let registered_at = Instant::now();
    let within_a_second = || {
        assert!(
            registered_at.elapsed() < Duration::from_millis(900),
            "the pushes took most of a second: too slow a machine to tell a registration kept \
             from one run out"
        );
    };
    let before = script_calls(&server);
    pushed("first").await;
    // The scope is new, so the push made its generation: it registers the scope once more
    // after the push, as it cannot tell a new scope from one whose contents were lost
    // between its registration and the push.
    assert_eq!(
        script_calls(&server) - before,
        3,
        "register, push, and register again"
    );
    let before = script_calls(&server);
    pushed("second").await;
    within_a_second();
    assert_eq!(
        script_calls(&server) - before,
        1,
        "a scope registered a moment ago is not registered again"
    );

    server.cli(&["flushall"]).expect("flushall");
    let registry = || {
        server
            .cli(&["smembers", "weft:q:scopes"])
            .expect("smembers")
    };
    assert!(
        !registry().contains('a'),
        "the registry went with the flush"
    );
    let before = script_calls(&server);
    pushed("third").await;
    within_a_second();
    assert_eq!(
        script_calls(&server) - before,
        2,
        "the scope's new generation has it registered again"
    );
    assert_eq!(registry().trim(), "a");
    let taken = worker
        .take(&names(&["*/q"]), 10, LEASE, Duration::ZERO)
        .await
        .expect("take");
    let payloads: Vec<&[u8]> = taken.iter().map(|d| &d.payload[..]).collect();
    assert_eq!(payloads, [b"third".as_slice()]);
}

#[tokio::test]
async fn a_key_whose_message_was_evicted_is_unheld() {
    // Eviction (`allkeys-lru`) drops keys one by one: here a message's body, as if evicted.
    let server = own_server();
    let queue = connect(&server).await;
    queue
        .push(vec![
            Message::new("team/q", "first").with_key("k1"),
            Message::new("team/q", "second").with_key("k2"),
        ])
        .await
        .expect("push");
    let keyed = |keys: &[&str]| -> Vec<(String, String)> {
        keys.iter()
            .map(|k| ("team/q".to_owned(), (*k).to_owned()))
            .collect()
    };
    assert_eq!(
        queue.unheld(&keyed(&["k1", "k2"])).await.expect("unheld"),
        Vec::<usize>::new()
    );
    let bodies = server
        .cli(&["--scan", "--pattern", "weft:q:t:team:m:*"])
        .expect("scan");
    let mut bodies: Vec<&str> = bodies.lines().filter(|k| !k.is_empty()).collect();
    bodies.sort_unstable();
    assert_eq!(bodies.len(), 2, "{bodies:?}");
    server.cli(&["DEL", bodies[0]]).expect("del");
    assert_eq!(
        queue.unheld(&keyed(&["k1", "k2"])).await.expect("unheld"),
        [0]
    );
}
