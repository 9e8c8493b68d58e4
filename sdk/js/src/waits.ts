/**
 * What a task can wait for without running: a time, a delay after the data interval, or a
 * run (or task) of another DAG ending. Used by `dag.wait(...)` tasks and by `Defer`.
 *
 * ```ts
 * import { waits } from "@weft/sdk";
 * dag.wait("upstream_done", waits.external("ingest", { taskId: "load" }));
 * ```
 *
 * @module
 */

import { type Duration, milliseconds, show } from "./durations.js";

/** The final states a wait can name, as Airflow writes them. */
export const ENDED_STATES = ["success", "failed", "skipped", "upstream_failed"] as const;

/** A final state of a task or run. */
export type EndedState = (typeof ENDED_STATES)[number];

/** A point in time, RFC 3339 (Airflow's `DateTimeSensor`). */
export class Until {
  constructor(readonly at: string) {}
}

/** A delay after the end of the run's data interval (`TimeDeltaSensor`). */
export class AfterDataIntervalEnd {
  constructor(readonly delayMs: number) {}
}

/**
 * A run of another DAG of the same tenant, or one of its tasks, ending
 * (`ExternalTaskSensor`). `runId` names the run; without it, the run whose logical date is
 * this run's shifted by `logicalDateOffsetMs`.
 */
export class External {
  constructor(
    readonly dagId: string,
    readonly runId: string | undefined,
    readonly logicalDateOffsetMs: number,
    readonly taskId: string | undefined,
    readonly allowedStates: readonly EndedState[],
    readonly failedStates: readonly EndedState[],
  ) {}
}

/** Something to wait for. */
export type Wait = Until | AfterDataIntervalEnd | External;

/** Whether `value` is a wait made by this module. */
export function isWait(value: unknown): value is Wait {
  return value instanceof Until || value instanceof AfterDataIntervalEnd || value instanceof External;
}

/** Wait until `at`: a `Date` or an RFC 3339 string with a time zone. */
export function until(at: Date | string): Until {
  if (at instanceof Date) {
    if (Number.isNaN(at.getTime())) {
      throw new RangeError("until(): the Date is invalid");
    }
    return new Until(at.toISOString());
  }
  if (typeof at !== "string") {
    throw new TypeError(`until(): expected a Date or an RFC 3339 string, got ${show(at)}`);
  }
  return new Until(at);
}

/** Wait until `delay` (seconds or a duration string) after the run's data interval ends. */
export function afterDataIntervalEnd(delay: Duration): AfterDataIntervalEnd {
  return new AfterDataIntervalEnd(milliseconds(delay, "afterDataIntervalEnd()"));
}

/** Which run of another DAG, and which of its ends, an external wait means. */
export interface ExternalOptions {
  /** The run, by id (a run this task triggered, say). */
  runId?: string;
  /**
   * Otherwise the run whose logical date is this run's shifted by this much (seconds or a
   * duration string; may be negative as a number, or written `"-1h"`); none: the same date,
   * as Airflow's `ExternalTaskSensor` assumes.
   */
  logicalDateOffset?: Duration;
  /** A task of that run to wait for; none waits for the whole run. */
  taskId?: string;
  /** End states that satisfy the wait; none means `success`. */
  allowedStates?: readonly EndedState[];
  /** End states that fail the wait; none means every state not allowed. */
  failedStates?: readonly EndedState[];
}

/** Wait for a run of DAG `dagId` (or its task `taskId`) to end. */
export function external(dagId: string, options: ExternalOptions = {}): External {
  if (typeof dagId !== "string" || dagId === "") {
    throw new TypeError(`external(): expected a DAG id, got ${show(dagId)}`);
  }
  if (options.runId !== undefined && options.logicalDateOffset !== undefined) {
    throw new TypeError("external(): give runId or logicalDateOffset, not both");
  }
  const allowed = options.allowedStates ?? [];
  const failed = options.failedStates ?? [];
  for (const state of [...allowed, ...failed]) {
    if (!(ENDED_STATES as readonly string[]).includes(state)) {
      throw new RangeError(`external(): unknown state ${show(state)}; one of ${ENDED_STATES.join(", ")}`);
    }
  }
  return new External(
    dagId,
    options.runId,
    signedMilliseconds(options.logicalDateOffset),
    options.taskId,
    [...allowed],
    [...failed],
  );
}

/** An offset that may be negative: `-3600`, `"-1h"`. */
function signedMilliseconds(offset: Duration | undefined): number {
  if (offset === undefined) {
    return 0;
  }
  const what = "external(logicalDateOffset)";
  if (typeof offset === "number") {
    return offset < 0 ? -milliseconds(-offset, what) : milliseconds(offset, what);
  }
  if (typeof offset === "string" && offset.trim().startsWith("-")) {
    return -milliseconds(offset.trim().slice(1), what);
  }
  return milliseconds(offset, what);
}
