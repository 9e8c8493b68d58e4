/**
 * What a task asks of the host, in plain TypeScript: the seam between the SDK and the WIT
 * imports.
 *
 * Inside a component, `component.ts` implements `Host` with the imports componentize-js
 * provides (`weft:dag/xcom@0.6.0`, ...); `testing.ts`'s `FakeHost` implements it in memory
 * for unit tests; each call is defined both ways in its capability's module. Every call
 * throws the SDK's own errors (`XComError`, `AccessError`, `SqlError`, `HttpError`,
 * `TriggerError`), never the bindings'.
 *
 * @module
 */

/** Severity of a task log line. */
export type LogLevel = "trace" | "debug" | "info" | "warn" | "error";

/** The `task-context` record of one attempt. */
export interface TaskContextData {
  dagId: string;
  taskId: string;
  runId: string;
  /** RFC 3339. */
  logicalDate: string;
  dataIntervalStart: string;
  dataIntervalEnd: string;
  /** This attempt's number, from 1. */
  tryNumber: number;
  /** How many attempts the task may have in all. */
  maxTries: number;
  /** The run's configuration, a JSON document. */
  conf: string;
  mapIndex?: number;
  /** The instance's item when the task is mapped, JSON. */
  mapItem?: Uint8Array;
  /** What happened, a JSON document, when a deferred task runs again. */
  event?: string;
}

/**
 * The host calls a task can make: each capability module of `src/capabilities/` declares its
 * own here by module augmentation (`declare module "../host.js" { interface Host { ... } }`)
 * and gives them over the WIT imports and in `FakeHost` (see `capability.ts`).
 */
export interface Host {}
