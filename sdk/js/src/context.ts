/**
 * What a running task sees: its run and its upstream outputs; the capability modules add the
 * host calls it may make.
 *
 * @module
 */

import { PermanentError } from "./errors.js";
import type { Host, TaskContextData } from "./host.js";
import { decode } from "./json.js";
import { Logger } from "./logs.js";

/** Where a context keeps its host: capability modules reach it through `capability.ts`'s `host`. */
export const HOST: unique symbol = Symbol("weft.host");

/**
 * One attempt of one task: its run's facts and configuration, the outputs of its direct
 * upstream tasks, and the host's services (XCom, variables, connections, secrets, SQL,
 * HTTP, triggering other DAGs). Each service's methods are added by its capability module
 * (`src/capabilities/`, see `capability.ts`): `ctx.xcomPull` comes from `xcom.ts`,
 * `ctx.http` from `http.ts`, and so on.
 */
export class Context {
  /** The task's log; `console` writes there too while the task runs. */
  readonly log: Logger;
  /** The attempt's host. */
  readonly [HOST]: Host;
  private confValue: Record<string, any> | undefined;

  constructor(
    host: Host,
    private readonly data: TaskContextData,
    private readonly outputs: ReadonlyMap<string, Uint8Array>,
    log?: Logger,
  ) {
    this[HOST] = host;
    this.log = log ?? new Logger(host);
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

  // --- upstream outputs -----------------------------------------------------------------

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
}
