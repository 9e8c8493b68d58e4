// Running tasks against the in-memory host: arguments, the context, logging, and how what a
// task throws becomes the WIT world's task-error.

import assert from "node:assert/strict";
import { describe, test } from "node:test";

import {
  AccessError,
  Connection,
  Dag,
  Defer,
  PermanentError,
  Reschedule,
  RetryableError,
  Skip,
  TaskError,
  XComError,
  waits,
} from "../src/index.js";
import { FakeHost, runTask } from "../src/testing.js";
import { findDag } from "../src/dag.js";
import { failureRecord, taskErrorRecord } from "../src/records.js";

/** What `runTask` threw, which must be a `TaskError`. */
async function failure(run: Promise<unknown>): Promise<TaskError> {
  try {
    await run;
  } catch (error) {
    assert.ok(error instanceof TaskError, `expected a TaskError, got ${String(error)}`);
    return error;
  }
  assert.fail("the task succeeded");
}

describe("arguments and output", () => {
  test("a task gets its upstream outputs by id, decoded, and returns JSON", async () => {
    const dag = new Dag("args");
    dag.task("t2", (ctx, { t1 }) => ({ upper: t1.greeting.toUpperCase(), ids: ctx.upstreamIds }));
    assert.deepEqual(await runTask(dag, "t2", { upstream: { t1: { greeting: "hello" } } }), { upper: "HELLO", ids: ["t1"] });
  });

  test("an async task is awaited; undefined is null", async () => {
    const dag = new Dag("async");
    dag.task("slow", async () => {
      await new Promise((resolve) => setTimeout(resolve, 1));
      return [1, "two"];
    });
    dag.task("nothing", () => undefined);
    assert.deepEqual(await runTask(dag, "slow"), [1, "two"]);
    assert.equal(await runTask(dag, "nothing"), null);
  });

  test("a mapped task gets its item, under the expanded task's id and as ctx.mapItem", async () => {
    const dag = new Dag("map");
    const list = dag.task("list", () => [1, 2]);
    dag.task("double", { expand: list }, (ctx, { list: item }) => ({ item, twice: ctx.mapItem * 2, index: ctx.mapIndex }));
    assert.deepEqual(await runTask(dag, "double", { mapItem: 21, mapIndex: 1 }), { item: 21, twice: 42, index: 1 });
  });

  test("an output JSON cannot hold fails permanently, naming the task", async () => {
    const dag = new Dag("out");
    dag.task("nan", () => ({ x: Number.NaN }));
    dag.task("big", () => 1n);
    const nan = await failure(runTask(dag, "nan"));
    assert.ok(nan instanceof PermanentError);
    assert.equal(nan.message, 'the output of `nan` cannot be encoded as JSON: field "x": NaN is not a JSON number');
    assert.match((await failure(runTask(dag, "big"))).message, /^the output of `big` cannot be encoded as JSON: a bigint \(1n\)/);
  });

  test("a task that does not exist, or runs no code, fails permanently", async () => {
    const dag = new Dag("missing");
    dag.wait("w", waits.until("2030-01-01T00:00:00Z"));
    for (const id of ["nope", "w"]) {
      const error = await failure(runTask(dag, id));
      assert.equal(error.kind, "permanent");
      assert.equal(error.message, `DAG \`missing\` has no task \`${id}\` that runs code`);
    }
  });
});

describe("the context", () => {
  test("the run's facts and configuration", async () => {
    const dag = new Dag("facts");
    dag.task("t", (ctx) => [ctx.dagId, ctx.taskId, ctx.runId, ctx.logicalDate, ctx.tryNumber, ctx.maxTries, ctx.conf, ctx.worker().queue]);
    assert.deepEqual(await runTask(dag, "t", { conf: { name: "Ada" }, tryNumber: 2, runId: "r1" }), [
      "facts",
      "t",
      "r1",
      "2024-01-01T00:00:00Z",
      2,
      2,
      { name: "Ada" },
      "default",
    ]);
  });

  test("upstream() of a task that handed nothing fails permanently, unless given a fallback", async () => {
    const dag = new Dag("up");
    dag.task("strict", (ctx) => ctx.upstream("t1"));
    dag.task("lenient", (ctx) => ctx.upstream("t1", "none"));
    const error = await failure(runTask(dag, "strict"));
    assert.equal(error.kind, "permanent");
    assert.equal(error.message, "no output of upstream task `t1` was handed to this task");
    assert.equal(await runTask(dag, "lenient"), "none");
  });

  test("XCom: pull outputs and keys, push values; a missing value fails permanently", async () => {
    const dag = new Dag("xcom");
    dag.task("t", (ctx) => {
      const greeting: string = ctx.xcomPull("t1").greeting;
      ctx.xcomPush("length", greeting.length);
      return { length: ctx.xcomPull("t3", "length"), missing: ctx.xcomPull("t3", "nope", null) };
    });
    dag.task("strict", (ctx) => ctx.xcomPull("t9", "k"));
    const host = new FakeHost({ xcom: { t1: { greeting: "hello" }, "t3/length": 9 } });
    assert.deepEqual(await runTask(dag, "t", { host }), { length: 9, missing: null });
    assert.deepEqual(host.pushed, { length: 5 });
    const error = await failure(runTask(dag, "strict"));
    assert.ok(error instanceof XComError);
    assert.equal(error.kind, "permanent");
    assert.equal(error.message, "XCom `k` of `t9` has no value");
  });

  test("variables, connections and secrets through the host; undeclared ones are refused", async () => {
    const dag = new Dag("access");
    dag.task("t", (ctx) => {
      const conn = ctx.connection("pg");
      return {
        region: ctx.variable("region"),
        fallback: ctx.variable("nope", "eu"),
        limits: ctx.variableJson("limits"),
        host: conn.host,
        extra: conn.extraJson,
        shown: String(conn),
        token: ctx.secret("token"),
      };
    });
    dag.task("sneaky", (ctx) => ctx.secret("other"));
    const host = new FakeHost({
      variables: { region: "us", limits: '{"rows": 10}' },
      connections: { pg: new Connection({ connId: "pg", connType: "postgres", host: "db", password: "hunter2", extra: '{"sslmode":"require"}' }) },
      secrets: { token: "s3cr3t", other: "x" },
      declaredSecrets: ["token"],
    });
    const out = await runTask(dag, "t", { host });
    assert.deepEqual({ ...out, shown: undefined }, { region: "us", fallback: "eu", limits: { rows: 10 }, host: "db", extra: { sslmode: "require" }, shown: undefined, token: "s3cr3t" });
    assert.ok(!out.shown.includes("hunter2") && out.shown.includes('"password":"***"'), out.shown);
    const error = await failure(runTask(dag, "sneaky", { host }));
    assert.ok(error instanceof AccessError);
    assert.equal(error.message, "secret `other`: NotDeclared: other");
  });

  test("triggering DAGs and setting asset extras are recorded", async () => {
    const dag = new Dag("orchestrate");
    dag.task("t", (ctx) => {
      ctx.setAssetExtra("s3://bucket/key", { rows: 3 });
      return ctx.triggerDag("downstream", { conf: { day: 1 }, logicalDate: new Date("2024-02-01T00:00:00Z") });
    });
    const host = new FakeHost();
    assert.equal(await runTask(dag, "t", { host }), "triggered__1");
    assert.deepEqual(host.triggered, [{ dagId: "downstream", conf: { day: 1 }, logicalDate: "2024-02-01T00:00:00.000Z", runId: "triggered__1" }]);
    assert.deepEqual(host.assetExtras, { "s3://bucket/key": { rows: 3 } });
  });

  test("a configuration that is not an object fails permanently", async () => {
    const dag = new Dag("conf");
    dag.task("t", (ctx) => ctx.conf);
    const host = new FakeHost();
    const error = await failure(
      dag.runTask(host, { dagId: "conf", taskId: "t", runId: "r", logicalDate: "", dataIntervalStart: "", dataIntervalEnd: "", tryNumber: 1, maxTries: 1, conf: "[1]" }, new Map()),
    );
    assert.equal(error.kind, "permanent");
    assert.equal(error.message, "the run's configuration is not a JSON object: [1]");
  });
});

describe("logging", () => {
  test("ctx.log formats as console.log does and writes at its level", async () => {
    const dag = new Dag("logs");
    dag.task("t", (ctx) => {
      ctx.log.info("t1: %s", "hello, Ada");
      ctx.log.debug("%d rows in %s", 3, "t", { extra: true });
      ctx.log.warn({ a: 1 }, [2]);
      ctx.log.error("100%% done, %j", { ok: true });
      ctx.log.trace("%s and %s", "one");
    });
    const host = new FakeHost();
    await runTask(dag, "t", { host });
    assert.deepEqual(host.logs, [
      ["info", "t1: hello, Ada"],
      ["debug", '3 rows in t {"extra":true}'],
      ["warn", '{"a":1} [2]'],
      ["error", '100% done, {"ok":true}'],
      ["trace", "one and %s"],
    ]);
  });

  test("console writes to the task's log while the task runs, and is given back after", async () => {
    const dag = new Dag("console");
    dag.task("t", () => {
      console.log("plain %d", 1);
      console.error("bad");
      console.debug("detail");
      throw new Skip("nothing to do");
    });
    const host = new FakeHost();
    const original = console.log;
    await failure(runTask(dag, "t", { host }));
    assert.equal(console.log, original);
    assert.deepEqual(host.logs, [
      ["info", "plain 1"],
      ["error", "bad"],
      ["debug", "detail"],
    ]);
  });
});

describe("errors", () => {
  test("the SDK's errors pass through with their kind", async () => {
    const dag = new Dag("errors");
    const thrown: Record<string, TaskError> = {
      permanent: new PermanentError("bad input"),
      retryable: new RetryableError("flaky"),
      skip: new Skip("not today"),
      reschedule: new Reschedule("5m"),
      defer: new Defer(waits.until("2030-01-01T00:00:00Z"), { resume: true }),
    };
    for (const [id, error] of Object.entries(thrown)) {
      dag.task(id, () => {
        throw error;
      });
    }
    for (const [id, error] of Object.entries(thrown)) {
      const got = await failure(runTask(dag, id));
      assert.equal(got, error);
      assert.equal(got.kind, id);
    }
  });

  test("anything else thrown is retryable, with its stack in the log", async () => {
    const dag = new Dag("crash");
    dag.task("type_error", () => {
      const value = null as unknown as { x: number };
      return value.x;
    });
    dag.task("string", () => {
      throw "just a string";
    });
    dag.task("async_reject", async () => Promise.reject(new RangeError("out of range")));
    const host = new FakeHost();
    const error = await failure(runTask(dag, "type_error", { host }));
    assert.ok(error instanceof RetryableError);
    assert.match(error.message, /^TypeError: Cannot read properties of null/);
    assert.ok(error.cause instanceof TypeError);
    const [[level, logged]] = host.logs as [[string, string]];
    assert.equal(level, "error");
    assert.match(logged, /TypeError: Cannot read properties of null[\s\S]*run\.test\.js/);
    assert.equal((await failure(runTask(dag, "string"))).message, "thrown: just a string");
    const rejected = await failure(runTask(dag, "async_reject"));
    assert.equal(rejected.kind, "retryable");
    assert.equal(rejected.message, "RangeError: out of range");
  });

  test("each error becomes its task-error case", () => {
    assert.deepEqual(taskErrorRecord(new PermanentError("bad")), { tag: "permanent", val: "bad" });
    assert.deepEqual(taskErrorRecord(new RetryableError("again")), { tag: "retryable", val: "again" });
    assert.deepEqual(taskErrorRecord(new TaskError("plain")), { tag: "retryable", val: "plain" });
    assert.deepEqual(taskErrorRecord(new XComError("gone", { kind: "permanent" })), { tag: "permanent", val: "gone" });
    assert.deepEqual(taskErrorRecord(new Skip("no")), { tag: "skip", val: "no" });
    assert.deepEqual(taskErrorRecord(new Reschedule(90)), { tag: "reschedule", val: 90_000n });
    assert.deepEqual(taskErrorRecord(new Reschedule()), { tag: "reschedule", val: undefined });
    assert.deepEqual(taskErrorRecord(new Defer(waits.external("other", { runId: "r1" }))), {
      tag: "defer",
      val: {
        until: { tag: "external", val: { dagId: "other", run: { tag: "run-id", val: "r1" }, taskId: undefined, allowedStates: [], failedStates: [] } },
        resume: false,
      },
    });
  });

  test("whatever a task throws is reported, even a failure the world cannot express", () => {
    assert.deepEqual(failureRecord(new Skip("no")), { tag: "skip", val: "no" });
    const thrown = failureRecord(new TypeError("x is undefined"));
    assert.equal(thrown.tag, "retryable");
    assert.match(String(thrown.val), /^TypeError: x is undefined/);
    assert.deepEqual(failureRecord("plain text"), { tag: "retryable", val: "plain text" });
    // A subclass whose delay is not a whole number of milliseconds: BigInt refuses it.
    class Soon extends Reschedule {
      override readonly afterMs = 1.5;
    }
    const soon = failureRecord(new Soon());
    assert.equal(soon.tag, "permanent");
    assert.match(String(soon.val), /^rescheduled; the failure cannot be reported: RangeError: .*1\.5/);
  });
});

describe("the entry module's DAG", () => {
  test("the default export, else the one named Dag; none or several are refused", () => {
    const a = new Dag("a");
    const b = new Dag("b");
    assert.equal(findDag({ default: a, b }, "app.ts"), a);
    assert.equal(findDag({ dag: b, other: 1 }, "app.ts"), b);
    assert.throws(() => findDag({ x: 1 }, "src/app.ts"), /^Error: src\/app\.ts must export exactly one Dag, .*found: none$/);
    assert.throws(() => findDag({ a, b }, "app.ts"), /found: a \(a\), b \(b\)$/);
  });
});
