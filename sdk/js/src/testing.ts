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
 * test needs, or test those tasks end to end with `wfctl test`.
 *
 * @module
 */

import type { Dag } from "./dag.js";
import { AccessError, HttpError, SqlError, TriggerError } from "./errors.js";
import type { Connection, Host, HttpReply, HttpRequest, LogLevel, SqlSession, TriggerRequest, WorkerInfo } from "./host.js";
import { decode, encode } from "./json.js";

/** What a `FakeHost` starts with. */
export interface FakeHostOptions {
  variables?: Record<string, string>;
  connections?: Record<string, Connection>;
  secrets?: Record<string, string>;
  /**
   * XCom values, keyed `taskId` for a task's output or `taskId/key` for what it pushed under
   * `key` (ids and keys cannot hold `/`).
   */
  xcom?: Record<string, unknown>;
  /** Answers outgoing requests; without it, every request is denied (`HttpRequestDenied`). */
  http?: (request: HttpRequest) => HttpReply;
  /** Opens SQL sessions; without it, every open fails (`NotFound`). */
  sql?: (connId: string) => SqlSession;
  /** What the task declares; when given, others are refused as `NotDeclared`. */
  declaredConnections?: readonly string[];
  declaredSecrets?: readonly string[];
  worker?: WorkerInfo;
}

/** An in-memory host that records what a task pushes, logs and triggers. */
export class FakeHost implements Host {
  readonly variables: Record<string, string>;
  readonly connections: Record<string, Connection>;
  readonly secrets: Record<string, string>;
  readonly xcom: Record<string, unknown>;
  /** Every line logged, as `[level, message]`. */
  readonly logs: Array<[LogLevel, string]> = [];
  /** What the task pushed, by key. */
  readonly pushed: Record<string, unknown> = {};
  /** The runs the task triggered. */
  readonly triggered: Array<{ dagId: string; conf: unknown; logicalDate?: string; runId: string }> = [];
  /** The extras the task set, by asset URI. */
  readonly assetExtras: Record<string, unknown> = {};
  private readonly options: FakeHostOptions;

  constructor(options: FakeHostOptions = {}) {
    this.options = options;
    this.variables = { ...options.variables };
    this.connections = { ...options.connections };
    this.secrets = { ...options.secrets };
    this.xcom = { ...options.xcom };
  }

  log(level: LogLevel, message: string): void {
    this.logs.push([level, message]);
  }

  xcomPush(key: string, value: Uint8Array): void {
    this.pushed[key] = decode(value, `XCom \`${key}\``);
  }

  xcomPull(taskId: string, key: string | undefined): Uint8Array | undefined {
    const name = key === undefined ? taskId : `${taskId}/${key}`;
    return name in this.xcom ? encode(this.xcom[name], `XCom \`${name}\``) : undefined;
  }

  variable(key: string): string | undefined {
    return this.variables[key];
  }

  private declared(names: readonly string[] | undefined, name: string, what: string): void {
    if (names !== undefined && !names.includes(name)) {
      throw new AccessError(`${what} \`${name}\`: NotDeclared: ${name}`, { kind: "permanent" });
    }
  }

  connection(connId: string): Connection {
    this.declared(this.options.declaredConnections, connId, "connection");
    const found = this.connections[connId];
    if (found === undefined) {
      throw new AccessError(`connection \`${connId}\`: NotFound: ${connId}`, { kind: "permanent" });
    }
    return found;
  }

  secret(name: string): string {
    this.declared(this.options.declaredSecrets, name, "secret");
    const found = this.secrets[name];
    if (found === undefined) {
      throw new AccessError(`secret \`${name}\`: NotFound: ${name}`, { kind: "permanent" });
    }
    return found;
  }

  sqlOpen(connId: string): SqlSession {
    if (this.options.sql === undefined) {
      throw new SqlError(`opening \`${connId}\` failed: NotFound: no SQL in this test`, { kind: "permanent", case: "NotFound" });
    }
    return this.options.sql(connId);
  }

  httpSend(request: HttpRequest): HttpReply {
    if (this.options.http === undefined) {
      throw new HttpError(`${request.method} ${request.url} failed: HttpRequestDenied`, {
        kind: "permanent",
        code: "HttpRequestDenied",
      });
    }
    return this.options.http(request);
  }

  trigger(request: TriggerRequest): string {
    if (request.dagId === "") {
      throw new TriggerError("triggering DAG `` failed: Invalid", { kind: "permanent", case: "Invalid" });
    }
    const runId = request.runId ?? `triggered__${this.triggered.length + 1}`;
    this.triggered.push({
      dagId: request.dagId,
      conf: request.conf === undefined ? undefined : JSON.parse(request.conf),
      logicalDate: request.logicalDate,
      runId,
    });
    return runId;
  }

  setAssetExtra(uri: string, extra: string): void {
    this.assetExtras[uri] = JSON.parse(extra);
  }

  worker(): WorkerInfo {
    return this.options.worker ?? { workerId: "test-worker", hostname: "localhost", queue: "default" };
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
