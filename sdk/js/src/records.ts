/**
 * The SDK's values as the WIT world's records (the DAG's structure, a task's failure): pure
 * conversions, so that they are unit-tested without a component. Only types are imported
 * from the world (`npm run build` generates them into `src/wit/` with jco), so this module
 * runs under Node as well as inside a component.
 *
 * How componentize-js represents the world in JavaScript (as jco does): records are objects
 * with camelCase fields; an `option` is the value or `undefined`; enums are their kebab-case
 * names (`'all-success'`); variants are `{ tag, val }` with the case's kebab-case name;
 * `u64`/`s64` are bigints; `list<u8>` is a `Uint8Array`. An import's `result` returns the
 * `ok` value and throws a `ComponentError` whose `payload` is the `err` value.
 *
 * @module
 */

import type * as wt from "weft:dag/types@0.6.0";

import { Defer, Reschedule, RetryableError, TaskError } from "./errors.js";
import { inspect } from "./logs.js";
import { type Notifier, type Sensor, type TaskSettings, Email } from "./settings.js";
import type { DagSpec, TaskKind, TaskSpec } from "./spec.js";
import { type Wait, AfterDataIntervalEnd, Until } from "./waits.js";

/** A variant case's name as the SDK's messages write it: `HTTP-request-denied` -> `HttpRequestDenied`. */
export function caseName(tag: string): string {
  return tag
    .split("-")
    .map((part) => part.charAt(0).toUpperCase() + part.slice(1).toLowerCase())
    .join("");
}

/** Airflow's `all_success` as the world's `all-success`. */
function kebab<T extends string>(name: string): T {
  return name.replaceAll("_", "-") as T;
}

/** A count of milliseconds as the world's `u64`. */
function u64(ms: number | undefined): bigint | undefined {
  return ms === undefined ? undefined : BigInt(ms);
}

// --- the DAG's structure ----------------------------------------------------------------------

function notifier(n: Notifier): wt.Notifier {
  return n instanceof Email ? { tag: "email", val: { connId: n.connId, to: [...n.to] } } : { tag: "webhook", val: n.connId };
}

function sensor(s: Sensor): wt.SensorSettings {
  return {
    pokeIntervalMs: BigInt(s.pokeIntervalMs),
    timeoutMs: u64(s.timeoutMs),
    softFail: s.softFail,
    exponentialBackoff: s.exponentialBackoff,
    maxPokeIntervalMs: u64(s.maxPokeIntervalMs),
  };
}

/** Task settings (or the DAG's defaults) as the world's `task-settings`. */
export function settingsRecord(s: TaskSettings): wt.TaskSettings {
  const r = s.resources;
  const n = s.notifications;
  return {
    queue: s.queue,
    retries: s.retries,
    retryDelayMs: u64(s.retryDelayMs),
    retryExponentialBackoff: s.retryExponentialBackoff,
    maxRetryDelayMs: u64(s.maxRetryDelayMs),
    executionTimeoutMs: u64(s.executionTimeoutMs),
    pool: s.pool,
    priorityWeight: s.priorityWeight,
    resources:
      r === undefined
        ? undefined
        : {
            memoryBytes: r.memoryBytes,
            egressAllowlist: [...r.egress],
            directories: r.scratch.map((d) => ({ guestPath: d.path, writable: d.writable })),
            connections: [...r.connections],
            secrets: [...r.secrets],
            fuel: r.fuel,
            workerLabels: [...r.workerLabels],
            arch: r.arch,
          },
    sensor: s.sensor === undefined ? undefined : sensor(s.sensor),
    maxActiveTis: s.maxActiveTis,
    notifications:
      n === undefined
        ? undefined
        : { onSuccess: n.onSuccess.map(notifier), onFailure: n.onFailure.map(notifier), onRetry: n.onRetry.map(notifier) },
  };
}

/** A wait as the world's `wait-condition`. */
export function waitRecord(w: Wait): wt.WaitCondition {
  if (w instanceof Until) {
    return { tag: "until", val: w.at };
  }
  if (w instanceof AfterDataIntervalEnd) {
    return { tag: "after-data-interval-end-ms", val: BigInt(w.delayMs) };
  }
  return {
    tag: "external",
    val: {
      dagId: w.dagId,
      run: w.runId !== undefined ? { tag: "run-id", val: w.runId } : { tag: "logical-date-offset-ms", val: BigInt(w.logicalDateOffsetMs) },
      taskId: w.taskId,
      allowedStates: w.allowedStates.map((s) => kebab<wt.EndedState>(s)),
      failedStates: w.failedStates.map((s) => kebab<wt.EndedState>(s)),
    },
  };
}

function kind(k: TaskKind): wt.TaskKind {
  if (k === "code") {
    return { tag: "code" };
  }
  if (k === "branch") {
    return { tag: "branch" };
  }
  return { tag: "wait", val: waitRecord(k) };
}

function task(t: TaskSpec): wt.TaskSpec {
  const expand: wt.Expand | undefined =
    t.expand === undefined ? undefined : "upstream" in t.expand ? { tag: "upstream", val: t.expand.upstream } : { tag: "items", val: t.expand.items };
  return {
    taskId: t.taskId,
    upstream: [...t.upstream],
    triggerRule: kebab<wt.TriggerRule>(t.triggerRule),
    settings: settingsRecord(t.settings),
    kind: kind(t.kind),
    expand,
    outlets: [...t.outlets],
  };
}

/** A DAG's structure as the world's `dag-spec`. */
export function dagSpecRecord(spec: DagSpec): wt.DagSpec {
  return {
    dagId: spec.dagId,
    description: spec.description,
    schedule: spec.schedule,
    startDate: spec.startDate,
    catchup: spec.catchup,
    maxActiveRuns: spec.maxActiveRuns,
    maxActiveTasks: spec.maxActiveTasks,
    dagrunTimeoutMs: u64(spec.dagrunTimeoutMs),
    tags: [...spec.tags],
    defaults: settingsRecord(spec.defaults),
    tasks: spec.tasks.map(task),
    notifications: { onSuccess: spec.onSuccess.map(notifier), onFailure: spec.onFailure.map(notifier) },
    endDate: spec.endDate,
    assets: [...spec.assets],
  };
}

/** A task's failure as the world's `task-error`. */
export function taskErrorRecord(error: TaskError): wt.TaskError {
  if (error instanceof Reschedule) {
    return { tag: "reschedule", val: u64(error.afterMs) };
  }
  if (error instanceof Defer) {
    return { tag: "defer", val: { until: waitRecord(error.wait), resume: error.resume } };
  }
  switch (error.kind) {
    case "skip":
      return { tag: "skip", val: error.message };
    case "permanent":
      return { tag: "permanent", val: error.message };
    default:
      return { tag: "retryable", val: error.message };
  }
}

/**
 * What a task that threw `thrown` reports, never throwing itself: a `TaskError` as its
 * `task-error`, anything else as a retryable failure that describes it, and a `TaskError` that
 * cannot be expressed in the world (a subclass's delay that is not a whole number, say) as a
 * permanent failure that says why.
 */
export function failureRecord(thrown: unknown): wt.TaskError {
  const failure = thrown instanceof TaskError ? thrown : new RetryableError(inspect(thrown));
  try {
    return taskErrorRecord(failure);
  } catch (error) {
    return { tag: "permanent", val: `${failure.message}; the failure cannot be reported: ${inspect(error)}` };
  }
}
