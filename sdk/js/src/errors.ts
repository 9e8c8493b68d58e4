/**
 * How a task says it did not succeed, and the errors of the host calls it makes.
 *
 * A task fails by throwing. What it throws decides what Weft does next, as Airflow's
 * exceptions do:
 *
 * - `PermanentError` (Airflow's `AirflowFailException`): the task fails at once, retries or not;
 * - `RetryableError`: the attempt fails and another follows while retries remain;
 * - `Skip` (`AirflowSkipException`): the task is skipped;
 * - `Reschedule` (a sensor in reschedule mode): the task gives its worker slot back and runs
 *   again later, with the same try number;
 * - `Defer` (a deferrable operator): the task waits, holding no slot, until a condition holds;
 * - anything else thrown: the attempt fails and is retried while retries remain, as in
 *   Airflow; its stack goes to the task's log.
 *
 * Host calls throw subclasses of `TaskError` whose `kind` says whether another attempt may
 * fare better (a store that could not be reached) or not (a connection the task did not
 * declare), so a task that lets them through fails the right way.
 *
 * @module
 */

import { type Duration, milliseconds } from "./durations.js";
import type { Wait } from "./waits.js";

/** What a task's failure calls for. */
export type ErrorKind = "retryable" | "permanent" | "skip" | "reschedule" | "defer";

/** Options of a `TaskError`: its kind, and the error that caused it. */
export interface TaskErrorOptions {
  kind?: ErrorKind;
  cause?: unknown;
}

/** A task's own failure; `kind` says what follows. */
export class TaskError extends Error {
  /** What the failure calls for; `retryable` unless given. */
  readonly kind: ErrorKind;

  constructor(message = "", options: TaskErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.kind = options.kind ?? "retryable";
    this.name = "TaskError";
  }
}

/** A failure worth another attempt, while retries remain (a network error, say). */
export class RetryableError extends TaskError {
  constructor(message = "", options: { cause?: unknown } = {}) {
    super(message, { ...options, kind: "retryable" });
    this.name = "RetryableError";
  }
}

/** A failure no retry can mend (bad input, say): the task fails at once. */
export class PermanentError extends TaskError {
  constructor(message = "", options: { cause?: unknown } = {}) {
    super(message, { ...options, kind: "permanent" });
    this.name = "PermanentError";
  }
}

/** The task decided not to run: its state is `skipped`. */
export class Skip extends TaskError {
  constructor(message = "") {
    super(message, { kind: "skip" });
    this.name = "Skip";
  }
}

/**
 * Not yet: give the worker slot back and run again after `after` (seconds or a duration
 * string), or after the task's sensor poke interval when `after` is not given.
 */
export class Reschedule extends TaskError {
  /** The delay before the next poke, in milliseconds; none means the poke interval. */
  readonly afterMs: number | undefined;

  constructor(after?: Duration) {
    super("rescheduled", { kind: "reschedule" });
    this.name = "Reschedule";
    this.afterMs = after === undefined ? undefined : milliseconds(after, "Reschedule(after)");
  }
}

/**
 * Wait without holding a worker slot until `wait` holds. With `resume`, the task runs again
 * afterwards with `ctx.event` saying what happened; without it, the task ends as the event
 * says (success, or failure for a failed state).
 */
export class Defer extends TaskError {
  readonly wait: Wait;
  readonly resume: boolean;

  constructor(wait: Wait, options: { resume?: boolean } = {}) {
    super("deferred", { kind: "defer" });
    this.name = "Defer";
    this.wait = wait;
    this.resume = options.resume ?? false;
  }
}

/** An XCom push or pull failed; retryable only when the store could not be reached. */
export class XComError extends TaskError {
  constructor(message: string, options: TaskErrorOptions = {}) {
    super(message, options);
    this.name = "XComError";
  }
}

/**
 * A connection or secret could not be read: not declared by the task, not found, or the
 * store behind it could not be reached (retryable).
 */
export class AccessError extends TaskError {
  constructor(message: string, options: TaskErrorOptions = {}) {
    super(message, options);
    this.name = "AccessError";
  }
}

/**
 * A SQL call failed. `case` names it (`Connect`, `Denied`, `Database`, ...) and `code` holds
 * the SQLSTATE of a database error, when the database gave one.
 */
export class SqlError extends TaskError {
  readonly case: string;
  readonly code: string | undefined;

  constructor(message: string, options: TaskErrorOptions & { case: string; code?: string }) {
    super(message, options);
    this.name = "SqlError";
    this.case = options.case;
    this.code = options.code;
  }
}

/**
 * An HTTP request failed before a response came (`code` is the host's error code:
 * `HttpRequestDenied`, `ConnectionRefused`, ...), or, from `Response.raiseForStatus`, came
 * back with an error status (`status`).
 */
export class HttpError extends TaskError {
  readonly code: string | undefined;
  readonly status: number | undefined;

  constructor(message: string, options: TaskErrorOptions & { code?: string; status?: number } = {}) {
    super(message, options);
    this.name = "HttpError";
    this.code = options.code;
    this.status = options.status;
  }
}

/**
 * A run of another DAG could not be triggered. `case` is `NotFound`, `Paused`, `Invalid`,
 * `AlreadyExists` or `Unavailable` (the only retryable one).
 */
export class TriggerError extends TaskError {
  readonly case: string;

  constructor(message: string, options: TaskErrorOptions & { case: string }) {
    super(message, options);
    this.name = "TriggerError";
    this.case = options.case;
  }
}
