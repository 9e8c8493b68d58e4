/**
 * Weft's TypeScript SDK: a DAG and its tasks in TypeScript (or JavaScript), built into one
 * WebAssembly component by `wfctl build`.
 *
 * ```ts
 * import { Dag, chain } from "@weft/sdk";
 *
 * const dag = new Dag("hello", { schedule: "@daily", startDate: "2024-01-01" });
 * const greet = dag.task("greet", (ctx) => {
 *   ctx.log.info("greeting %s", ctx.conf.name ?? "world");
 *   return { greeting: `hello, ${ctx.conf.name ?? "world"}` };
 * });
 * export default dag;
 * ```
 *
 * The module names below say what each part holds: `dag` (declaring), `context` (what a
 * running task sees), `errors`, `settings`, `waits`, `logs`, `capabilities/*` (each host
 * capability: its context methods, its host calls over the WIT imports and in `FakeHost`),
 * and `host` (the seam to the host: `component` implements it over the WIT imports,
 * `testing` in memory).
 *
 * @module
 */

export { Context } from "./context.js";
export { Dag, Task, chain, crossDownstream, type DagOptions, type TaskFunction, type TaskOptions, type Tasks, type Upstream } from "./dag.js";
export type { Duration } from "./durations.js";
export {
  AccessError,
  Defer,
  type ErrorKind,
  HttpError,
  PermanentError,
  Reschedule,
  RetryableError,
  Skip,
  SqlError,
  TaskError,
  TriggerError,
  XComError,
} from "./errors.js";
export type { LogLevel } from "./host.js";
export type { Json as JsonValue } from "./json.js";
export { Logger } from "./logs.js";
export { type Notifier, type Scratch, type SensorOptions, type TaskSettingsOptions, email, sensor, webhook } from "./settings.js";
export { type TriggerRule, TRIGGER_RULES } from "./spec.js";
export * as waits from "./waits.js";
// Every capability module of src/capabilities/ (XCom, variables, SQL, HTTP, ...): its
// context methods, host calls and exports.
export * from "./wit/capabilities.js";

/** This SDK's version. */
export const VERSION = "0.1.0";
