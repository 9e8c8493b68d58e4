/**
 * Unit tests of a DAG's tasks on the author's machine, with no component and no Weft:
 * `FakeHost` holds XCom, variables, connections and secrets in memory, and `runTask` runs one
 * task of a `Dag` as the host would.
 *
 * ```ts
 * import { FakeHost, runTask } from "@weft/sdk/testing";
 * import dag from "../src/app.js";
 *
 * test("greet", async () => {
 *   const host = new FakeHost();
 *   assert.deepEqual(await runTask(dag, "greet", { host, conf: { name: "Ada" } }), { greeting: "hello, Ada" });
 *   assert.deepEqual(host.logs, [["info", "greeting Ada"]]);
 * });
 * ```
 *
 * SQL and HTTP have no fake: give `FakeHost` functions (`http`, `sql`) that answer as the
 * test needs, or test those tasks end to end with `wfctl test`. The types they take and give
 * (`HttpRequest`, `HttpReply`, `SqlSession`, ...) are exported by `@weft/sdk`.
 *
 * @module
 */

import { fakeCalls } from "./capability.js";
import type { Dag } from "./dag.js";
import type { Host } from "./host.js";
import { decode, encode } from "./json.js";
import "./wit/capabilities.js";

/**
 * What a `FakeHost` starts with: each capability module adds its options (`variables`,
 * `connections`, `secrets`, `xcom`, `http`, `sql`, `declaredConnections`, `declaredSecrets`,
 * `worker`, ...) by module augmentation.
 */
export interface FakeHostOptions {}

/**
 * An in-memory host that records what a task pushes, logs and triggers: each capability
 * module gives it its host calls and state (`logs`, `pushed`, `triggered`, `assetExtras`, ...;
 * see `capability.ts`).
 */
export interface FakeHost extends Host {}

export class FakeHost {
  constructor(options: FakeHostOptions = {}) {
    fakeCalls(this, options);
  }
}

/** How `runTask` runs a task. */
export interface RunTaskOptions {
  /** The host; a fresh `FakeHost` when not given. */
  host?: Host;
  conf?: Record<string, unknown>;
  /** The outputs of the task's direct upstream tasks, by task id. */
  upstream?: Record<string, unknown>;
  mapItem?: unknown;
  mapIndex?: number;
  /** What happened, when a deferred task runs again. */
  event?: unknown;
  tryNumber?: number;
  runId?: string;
  logicalDate?: string;
}

/**
 * Run task `taskId` of `dag` once and return its output, decoded; its `TaskError` is thrown
 * as the host would see it.
 */
export async function runTask(dag: Dag, taskId: string, options: RunTaskOptions = {}): Promise<any> {
  const logicalDate = options.logicalDate ?? "2024-01-01T00:00:00Z";
  const tryNumber = options.tryNumber ?? 1;
  const outputs = new Map(
    Object.entries(options.upstream ?? {}).map(([id, value]) => [id, encode(value, `the output of \`${id}\``)] as const),
  );
  const output = await dag.runTask(
    options.host ?? new FakeHost(),
    {
      dagId: dag.dagId,
      taskId,
      runId: options.runId ?? "manual__test",
      logicalDate,
      dataIntervalStart: logicalDate,
      dataIntervalEnd: logicalDate,
      tryNumber,
      maxTries: Math.max(tryNumber, 1),
      conf: JSON.stringify(options.conf ?? {}),
      mapIndex: options.mapIndex,
      mapItem: options.mapItem === undefined ? undefined : encode(options.mapItem, "the map item"),
      event: options.event === undefined ? undefined : JSON.stringify(options.event),
    },
    outputs,
  );
  return decode(output, `the output of \`${taskId}\``);
}
