// Declaring DAGs: dependencies, checks that name what is wrong, settings, and the DAG as the
// WIT world's records.

import assert from "node:assert/strict";
import { describe, test } from "node:test";

import { Dag, Task, chain, crossDownstream, email, sensor, waits, webhook } from "../src/index.js";
import { dagSpecRecord, settingsRecord } from "../src/records.js";

const noop = () => ({});

/** Each task's direct upstream tasks, by id. */
function edges(dag: Dag): Record<string, string[]> {
  return Object.fromEntries(dag.spec().tasks.map((t) => [t.taskId, t.upstream]));
}

describe("dependencies", () => {
  test("setDownstream and setUpstream take tasks and lists, and return the task", () => {
    const dag = new Dag("deps");
    const [t1, t2, t3, t4] = ["t1", "t2", "t3", "t4"].map((id) => dag.task(id, noop)) as [Task, Task, Task, Task];
    assert.equal(t1.setDownstream([t2, t3]), t1);
    t4.setUpstream(t2, [t3]);
    assert.deepEqual(edges(dag), { t1: [], t2: ["t1"], t3: ["t1"], t4: ["t2", "t3"] });
  });

  test("chain links tasks, fans out and in, and pairs lists", () => {
    const dag = new Dag("chained");
    const t = (id: string) => dag.task(id, noop);
    const [a, b, c, d, e, f, g] = ["a", "b", "c", "d", "e", "f", "g"].map(t) as Task[] as [Task, Task, Task, Task, Task, Task, Task];
    chain(a, [b, c], d, [e, f], [g, a.dag.task("h", noop)]);
    assert.deepEqual(edges(dag), { a: [], b: ["a"], c: ["a"], d: ["b", "c"], e: ["d"], f: ["d"], g: ["e"], h: ["f"] });
    assert.throws(() => chain([a, b], [c]), /same length, got 2 and 1/);
  });

  test("crossDownstream links every pair", () => {
    const dag = new Dag("cross");
    const [a, b, c, d] = ["a", "b", "c", "d"].map((id) => dag.task(id, noop)) as [Task, Task, Task, Task];
    crossDownstream([a, b], [c, d]);
    assert.deepEqual(edges(dag), { a: [], b: [], c: ["a", "b"], d: ["a", "b"] });
  });

  test("a dependency set twice is kept once", () => {
    const dag = new Dag("twice");
    const a = dag.task("a", noop);
    const b = dag.task("b", noop);
    a.setDownstream(b);
    chain(a, b);
    assert.deepEqual(edges(dag)["b"], ["a"]);
  });

  test("a cycle is refused, naming the tasks on it in dependency order", () => {
    const dag = new Dag("cyclic");
    const [a, b, c] = ["a", "b", "c"].map((id) => dag.task(id, noop)) as [Task, Task, Task];
    chain(a, b, c, a);
    assert.throws(() => dag.spec(), { message: "the tasks form a cycle: a -> b -> c -> a" });
    assert.throws(() => a.setDownstream(a), /cycle: a -> a/);
  });

  test("tasks of another DAG and things that are not tasks are refused", () => {
    const one = new Dag("one");
    const two = new Dag("two");
    const a = one.task("a", noop);
    assert.throws(() => a.setDownstream(two.task("b", noop)), /a and b are in different DAGs/);
    assert.throws(() => a.setDownstream("b" as unknown as Task), /task a: setDownstream: expected tasks or lists of tasks, got "b"/);
  });
});

describe("declaring", () => {
  test("ids are checked, and a task id is used once", () => {
    assert.throws(() => new Dag("has space"), /DAG id "has space" is not a valid id/);
    const dag = new Dag("ids");
    assert.throws(() => dag.task("a/b", noop), /DAG ids: task id "a\/b" is not a valid id/);
    dag.task("a", noop);
    assert.throws(() => dag.task("a", noop), /DAG ids has two tasks named a/);
  });

  test("a task needs a function", () => {
    const dag = new Dag("fns");
    assert.throws(() => dag.task("a", { retries: 1 } as never), /task a: expected its function, got undefined/);
  });

  test("an unknown setting is refused, naming the task and the key", () => {
    const dag = new Dag("typo");
    assert.throws(() => dag.task("t1", { retires: 2 } as never, noop), (error: Error) => {
      assert.match(error.message, /^task t1: unknown setting retires \(settings: queue, retries, /);
      return error instanceof TypeError;
    });
    assert.throws(() => new Dag("typo2", { defaultArgs: { queu: "q" } as never }), /DAG typo2 defaultArgs: unknown setting queu/);
    assert.throws(() => new Dag("typo3", { scheduel: "@daily" } as never), /DAG typo3: unknown option scheduel/);
  });

  test("a bad value is refused, naming the task and the key", () => {
    const dag = new Dag("bad");
    const cases: Array<[Record<string, unknown>, RegExp]> = [
      [{ retries: -1 }, /task t: retries: must not be negative, got -1$/],
      [{ retries: 1.5 }, /task t: retries: expected a whole number, got 1.5$/],
      [{ retries: "2" }, /task t: retries: expected a whole number, got "2"$/],
      [{ retryDelay: "soon" }, /task t: retryDelay: "soon" is not a duration/],
      [{ executionTimeout: -5 }, /task t: executionTimeout: must not be negative, got -5$/],
      [{ priorityWeight: 2 ** 31 }, /task t: priorityWeight: must be between -2147483648 and 2147483647/],
      [{ queue: "" }, /task t: queue: expected a non-empty string, got ""$/],
      [{ egress: [42] }, /task t: egress: expected non-empty strings, got 42$/],
      [{ scratch: "relative" }, /task t: scratch: expected an absolute path/],
      [{ fuel: 0 }, /task t: fuel: a budget of 0 could run nothing$/],
      [{ fuel: -1 }, /task t: fuel: must be between 0 and/],
      [{ workerLabels: ["gpu", 1] }, /task t: workerLabels: expected non-empty strings, got 1$/],
      [{ arch: 64 }, /task t: arch: expected a non-empty string, got 64$/],
      [{ sensor: { pokeInterval: 5 } }, /task t: sensor: expected sensor\(\{\.\.\.\}\), got an object$/],
      [{ onFailure: "ops@example.com" }, /task t: onFailure: expected webhook\(\.\.\.\) or email\(\.\.\.\)/],
      [{ triggerRule: "all-success" }, /task t: triggerRule: unknown trigger rule "all-success"; one of all_success, /],
      [{ expandItems: "abc" }, /task t: expandItems: expected a list, got "abc"$/],
      [{ expandItems: [1n] }, /task t: expandItems\[0\] cannot be encoded as JSON: a bigint/],
      [{ outlets: "s3://b/k" }, /task t: outlets: expected a list of non-empty strings/],
    ];
    for (const [options, expected] of cases) {
      assert.throws(() => dag.task("t", options as never, noop), expected, JSON.stringify(options, (_k, v) => (typeof v === "bigint" ? `${v}n` : v)));
    }
  });

  test("settings are normalised: durations in milliseconds, lists, resources and notifications", () => {
    const dag = new Dag("settings", {
      defaultArgs: { retries: 2, retryDelay: "30s", queue: "etl" },
    });
    const t = dag.task(
      "t",
      {
        retries: 0,
        retryDelay: 1.5,
        maxRetryDelay: "1h30m",
        executionTimeout: "250ms",
        retryExponentialBackoff: true,
        pool: "db",
        priorityWeight: -3,
        memoryBytes: 64 * 1024 * 1024,
        egress: "GET https://api.example.com",
        scratch: ["/scratch", { path: "/ro", writable: false }],
        connections: ["postgres_default"],
        secrets: "token",
        fuel: 10n ** 12n,
        workerLabels: ["gpu", "ssd"],
        arch: "aarch64",
        sensor: sensor({ pokeInterval: "5m", timeout: 3600, softFail: true }),
        maxActiveTis: 4,
        onSuccess: webhook("hook"),
        onFailure: [email("smtp", "ops@example.com")],
        outlets: ["s3://bucket/key"],
      },
      noop,
    );
    assert.deepEqual(dag.defaults, { queue: "etl", retries: 2, retryDelayMs: 30_000 });
    const s = t.settings;
    assert.equal(s.retries, 0);
    assert.equal(s.retryDelayMs, 1500);
    assert.equal(s.maxRetryDelayMs, 5_400_000);
    assert.equal(s.executionTimeoutMs, 250);
    assert.deepEqual(s.resources, {
      memoryBytes: 67_108_864n,
      egress: ["GET https://api.example.com"],
      scratch: [
        { path: "/scratch", writable: true },
        { path: "/ro", writable: false },
      ],
      connections: ["postgres_default"],
      secrets: ["token"],
      fuel: 1_000_000_000_000n,
      workerLabels: ["gpu", "ssd"],
      arch: "aarch64",
    });
    assert.equal(s.sensor?.pokeIntervalMs, 300_000);
    assert.equal(s.notifications?.onRetry.length, 0);
    assert.deepEqual(t.outlets, ["s3://bucket/key"]);
  });

  test("a setting left out inherits: it is absent, not zero", () => {
    const dag = new Dag("inherit");
    assert.deepEqual(dag.task("t", noop).settings, {});
  });

  test("expand maps over an upstream task, which becomes upstream", () => {
    const dag = new Dag("mapped");
    const list = dag.task("list", () => [1, 2, 3]);
    const each = dag.task("each", { expand: list }, (_ctx, { list: item }) => item * 2);
    assert.deepEqual(each.spec().expand, { upstream: "list" });
    assert.deepEqual(each.upstreamIds, ["list"]);
    const items = dag.task("items", { expandItems: [{ a: 1 }, "b"] }, noop);
    const spec = items.spec().expand as { items: Uint8Array[] };
    assert.deepEqual(spec.items.map((i) => new TextDecoder().decode(i)), ['{"a":1}', '"b"']);
    assert.throws(() => dag.task("both", { expand: list, expandItems: [] }, noop), /give expand or expandItems, not both/);
  });

  test("branch and wait tasks, and waits refused when they are not waits", () => {
    const dag = new Dag("kinds");
    assert.equal(dag.branch("pick", () => "a").kind, "branch");
    const w = dag.wait("upstream_done", waits.external("ingest", { taskId: "load", logicalDateOffset: "-1h", allowedStates: ["success", "skipped"] }));
    assert.equal(w.fn, undefined);
    assert.throws(() => dag.wait("w", { at: "2024-01-01" } as never), /task w: expected a wait from waits\.\*, got an object/);
    assert.throws(() => waits.external("x", { runId: "r", logicalDateOffset: 1 }), /give runId or logicalDateOffset, not both/);
    assert.throws(() => waits.external("x", { allowedStates: ["done" as never] }), /unknown state "done"/);
  });
});

describe("the DAG as WIT records", () => {
  test("dag-spec: kebab-case enums and variants, bigint milliseconds, options left out", () => {
    const dag = new Dag("hello", {
      description: "greets",
      schedule: "@daily",
      startDate: new Date("2024-01-01T00:00:00Z"),
      tags: ["example"],
      dagrunTimeout: "2h",
      defaultArgs: { retries: 1 },
      onFailure: webhook("hook"),
      assets: ["s3://in"],
    });
    const t1 = dag.task("t1", noop);
    const t2 = dag.task("t2", { triggerRule: "none_failed_min_one_success", retryDelay: 30 }, noop);
    dag.wait("w", waits.external("other", { logicalDateOffset: -3600, failedStates: ["upstream_failed"] }));
    dag.wait("later", waits.afterDataIntervalEnd("10m"));
    t1.setDownstream(t2);
    const record = dagSpecRecord(dag.spec());
    assert.equal(record.dagId, "hello");
    assert.equal(record.startDate, "2024-01-01T00:00:00.000Z");
    assert.equal(record.dagrunTimeoutMs, 7_200_000n);
    assert.equal(record.endDate, undefined);
    assert.deepEqual(record.defaults, settingsRecord({ retries: 1 }));
    assert.deepEqual(record.notifications, { onSuccess: [], onFailure: [{ tag: "webhook", val: "hook" }] });
    assert.deepEqual(record.assets, ["s3://in"]);
    const [r1, r2, rw, rl] = record.tasks;
    assert.deepEqual(r1?.kind, { tag: "code" });
    assert.equal(r1?.triggerRule, "all-success");
    assert.equal(r2?.triggerRule, "none-failed-min-one-success");
    assert.equal(r2?.settings.retryDelayMs, 30_000n);
    assert.deepEqual(r2?.upstream, ["t1"]);
    assert.deepEqual(rw?.kind, {
      tag: "wait",
      val: {
        tag: "external",
        val: {
          dagId: "other",
          run: { tag: "logical-date-offset-ms", val: -3_600_000n },
          taskId: undefined,
          allowedStates: [],
          failedStates: ["upstream-failed"],
        },
      },
    });
    assert.deepEqual(rl?.kind, { tag: "wait", val: { tag: "after-data-interval-end-ms", val: 600_000n } });
  });

  test("task-settings: resources, sensor and notifications", () => {
    const dag = new Dag("rec");
    const t = dag.task(
      "t",
      { egress: ["GET http://127.0.0.1:*"], scratch: "/scratch", fuel: 5, sensor: sensor({ exponentialBackoff: true }), onRetry: email("smtp", ["a@x", "b@x"]) },
      noop,
    );
    const s = settingsRecord(t.settings);
    assert.deepEqual(s.resources, {
      memoryBytes: undefined,
      egressAllowlist: ["GET http://127.0.0.1:*"],
      directories: [{ guestPath: "/scratch", writable: true }],
      connections: [],
      secrets: [],
      fuel: 5n,
      workerLabels: [],
      arch: undefined,
    });
    assert.deepEqual(s.sensor, { pokeIntervalMs: 60_000n, timeoutMs: undefined, softFail: false, exponentialBackoff: true, maxPokeIntervalMs: undefined });
    assert.deepEqual(s.notifications, { onSuccess: [], onFailure: [], onRetry: [{ tag: "email", val: { connId: "smtp", to: ["a@x", "b@x"] } }] });
  });
});
