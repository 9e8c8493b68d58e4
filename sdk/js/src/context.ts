/**
 * What a running task sees: its run, its upstream outputs, and the host calls it may make.
 *
 * @module
 */

import { PermanentError, XComError } from "./errors.js";
import type { Connection, Host, TaskContextData, WorkerInfo } from "./host.js";
import { Http } from "./http.js";
import { decode, encode, encodeText } from "./json.js";
import { Logger } from "./logs.js";
import { Session } from "./sql.js";

/** How `ctx.triggerDag` starts a run. */
export interface TriggerOptions {
  /** The run's configuration, a JSON object. */
  conf?: Record<string, unknown>;
  /** The run's logical date, RFC 3339 or a `Date`; none means now. */
  logicalDate?: string | Date;
  /**
   * The run's id; none means one made from this task instance and the call, so that a retried
   * attempt gets back the run its earlier attempt made, not a second one.
   */
  runId?: string;
}

/**
 * One attempt of one task: its run's facts and configuration, the outputs of its direct
 * upstream tasks, and the host's services (XCom, variables, connections, secrets, SQL,
 * HTTP, triggering other DAGs).
 */
export class Context {
  /** The task's log; `console` writes there too while the task runs. */
  readonly log: Logger;
  /** Outgoing HTTP under the egress policy: `ctx.http.get(url)`. */
  readonly http: Http;
  private confValue: Record<string, any> | undefined;

  constructor(
    private readonly host: Host,
    private readonly data: TaskContextData,
    private readonly outputs: ReadonlyMap<string, Uint8Array>,
    log?: Logger,
  ) {
    this.log = log ?? new Logger(host);
    this.http = new Http(host);
  }

  // --- the run -------------------------------------------------------------------------

  /** The DAG's id. */
  get dagId(): string {
    return this.data.dagId;
  }

  /** The task's id. */
  get taskId(): string {
    return this.data.taskId;
  }

  /** The run's id. */
  get runId(): string {
    return this.data.runId;
  }

  /** The run's logical date, RFC 3339. */
  get logicalDate(): string {
    return this.data.logicalDate;
  }

  /** Start of the run's data interval, RFC 3339. */
  get dataIntervalStart(): string {
    return this.data.dataIntervalStart;
  }

  /** End of the run's data interval, RFC 3339. */
  get dataIntervalEnd(): string {
    return this.data.dataIntervalEnd;
  }

  /** This attempt's number, from 1. */
  get tryNumber(): number {
    return this.data.tryNumber;
  }

  /** How many attempts the task may have in all. */
  get maxTries(): number {
    return this.data.maxTries;
  }

  /** The run's configuration, an object (`{}` when none was given). */
  get conf(): Record<string, any> {
    if (this.confValue === undefined) {
      const conf: unknown = decode(this.data.conf, "the run's configuration");
      if (conf === null || typeof conf !== "object" || Array.isArray(conf)) {
        throw new PermanentError(`the run's configuration is not a JSON object: ${this.data.conf}`);
      }
      this.confValue = conf as Record<string, any>;
    }
    return this.confValue;
  }

  /** The instance's index when the task is mapped, else undefined. */
  get mapIndex(): number | undefined {
    return this.data.mapIndex;
  }

  /** The instance's item when the task is mapped, else undefined. */
  get mapItem(): any {
    const item = this.data.mapItem;
    return item === undefined ? undefined : decode(item, "the map item");
  }

  /** What happened, when the task was deferred with `resume` and is running again. */
  get event(): any {
    const event = this.data.event;
    return event === undefined ? undefined : decode(event, "the event");
  }

  /** The asset events that started this run, when assets started it. */
  get triggeringAssetEvents(): Array<Record<string, any>> {
    const events: unknown = this.conf["triggering_asset_events"];
    return Array.isArray(events) ? events : [];
  }

  /** The worker and queue running this attempt. */
  worker(): WorkerInfo {
    return this.host.worker();
  }

  // --- upstream outputs and XCom -------------------------------------------------------

  /** The direct upstream tasks whose outputs were handed to this attempt. */
  get upstreamIds(): string[] {
    return [...this.outputs.keys()];
  }

  /**
   * The output of direct upstream task `taskId`. Without a `fallback`, a task that handed
   * none fails this one permanently.
   */
  upstream<T = any>(taskId: string, ...fallback: [] | [T]): T {
    const data = this.outputs.get(taskId);
    if (data === undefined) {
      if (fallback.length === 0) {
        throw new PermanentError(`no output of upstream task \`${taskId}\` was handed to this task`);
      }
      return fallback[0] as T;
    }
    return decode(data, `the output of \`${taskId}\``) as T;
  }

  /**
   * The value upstream task `taskId` pushed under `key`, or its output when `key` is not
   * given; without a `fallback`, no value fails the task permanently.
   */
  xcomPull<T = any>(taskId: string, key?: string | null, ...fallback: [] | [T]): T {
    const what = `XCom \`${key ?? "return_value"}\` of \`${taskId}\``;
    const data = this.host.xcomPull(taskId, key ?? undefined);
    if (data === undefined) {
      if (fallback.length === 0) {
        throw new XComError(`${what} has no value`, { kind: "permanent" });
      }
      return fallback[0] as T;
    }
    return decode(data, what) as T;
  }

  /** Push `value` (JSON) under `key` for this task instance. */
  xcomPush(key: string, value: unknown): void {
    this.host.xcomPush(key, encode(value, `XCom \`${key}\``));
  }

  // --- variables, connections, secrets ---------------------------------------------------

  /** Variable `key`, or `fallback` when it is not set. */
  variable(key: string): string | undefined;
  variable(key: string, fallback: string): string;
  variable(key: string, fallback?: string): string | undefined {
    return this.host.variable(key) ?? fallback;
  }

  /** Variable `key` parsed as JSON, or `fallback` when it is not set. */
  variableJson<T = any>(key: string, fallback?: T): T | undefined {
    const value = this.host.variable(key);
    return value === undefined ? fallback : (decode(value, `variable \`${key}\``) as T);
  }

  /** Connection `connId`, which the task declares in `connections`. */
  connection(connId: string): Connection {
    return this.host.connection(connId);
  }

  /** Secret `name`, which the task declares in `secrets`. */
  secret(name: string): string {
    return this.host.secret(name);
  }

  /**
   * A session on the SQL connection `connId`, which the task declares; the host opens it,
   * and the task never sees its password. Close it when done (`using db = ctx.sql(...)`).
   */
  sql(connId: string): Session {
    return new Session(connId, this.host.sqlOpen(connId));
  }

  // --- other DAGs and assets -------------------------------------------------------------

  /** Start a run of DAG `dagId` of the same tenant (Airflow's `TriggerDagRunOperator`); its run id. */
  triggerDag(dagId: string, options: TriggerOptions = {}): string {
    const logicalDate = options.logicalDate instanceof Date ? options.logicalDate.toISOString() : options.logicalDate;
    return this.host.trigger({
      dagId,
      conf: options.conf === undefined ? undefined : encodeText(options.conf, "the triggered run's conf"),
      logicalDate,
      runId: options.runId,
    });
  }

  /** Attach `extra` to the event outlet `uri` gets when this attempt succeeds. */
  setAssetExtra(uri: string, extra: Record<string, unknown>): void {
    this.host.setAssetExtra(uri, encodeText(extra, `the extra of asset \`${uri}\``));
  }
}
