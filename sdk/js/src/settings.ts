/**
 * Task settings: the DAG's defaults (`new Dag(id, { defaultArgs })`) and each task's own
 * (`dag.task(id, { retries: 2, ... }, fn)`) take the same keys. A key a task leaves out
 * inherits the DAG's default, else the host's. Durations are seconds or duration strings
 * (`"30s"`, `"5m"`). An unknown key or a bad value is refused, naming the task and the key.
 *
 * @module
 */

import { type Duration, milliseconds, show } from "./durations.js";

/** An HTTP POST of the notification's JSON to the URL of connection `connId`. */
export class Webhook {
  constructor(readonly connId: string) {}
}

/** An email through the SMTP server of connection `connId` to `to`. */
export class Email {
  constructor(
    readonly connId: string,
    readonly to: readonly string[],
  ) {}
}

/** Where a notification goes. */
export type Notifier = Webhook | Email;

/** Notify by an HTTP POST to the URL of connection `connId` (`conn_type` `http`). */
export function webhook(connId: string): Webhook {
  return new Webhook(text(connId, "webhook(connId)"));
}

/** Notify by email to `to` through the SMTP connection `connId`. */
export function email(connId: string, to: string | readonly string[]): Email {
  const recipients = strings(to, "email(to)");
  if (recipients.length === 0) {
    throw new RangeError("email(): name at least one recipient");
  }
  return new Email(text(connId, "email(connId)"), recipients);
}

/** How a task that reschedules or waits pokes, and how long it may wait. */
export class Sensor {
  constructor(
    readonly pokeIntervalMs: number,
    readonly timeoutMs: number | undefined,
    readonly softFail: boolean,
    readonly exponentialBackoff: boolean,
    readonly maxPokeIntervalMs: number | undefined,
  ) {}
}

/** Sensor settings, as Airflow's `BaseSensorOperator` takes them. */
export interface SensorOptions {
  /** Delay before the next poke when the task reschedules without naming one; 60 s unless given. */
  pokeInterval?: Duration;
  /** Longest the task may wait; none means no limit. */
  timeout?: Duration;
  /** Skip instead of failing on a timeout or a failed state. */
  softFail?: boolean;
  /** Double the delay after each poke, up to `maxPokeInterval`. */
  exponentialBackoff?: boolean;
  /** Upper bound of the delay with exponential backoff; none means an hour. */
  maxPokeInterval?: Duration;
}

/** Sensor settings for the `sensor` key of a task. */
export function sensor(options: SensorOptions = {}): Sensor {
  const optional = (value: Duration | undefined, what: string) =>
    value === undefined ? undefined : milliseconds(value, `sensor(${what})`);
  return new Sensor(
    milliseconds(options.pokeInterval ?? 60, "sensor(pokeInterval)"),
    optional(options.timeout, "timeout"),
    flag(options.softFail ?? false, "sensor(softFail)"),
    flag(options.exponentialBackoff ?? false, "sensor(exponentialBackoff)"),
    optional(options.maxPokeInterval, "maxPokeInterval"),
  );
}

/** A scratch directory: a fresh, empty directory per attempt at `path` in the sandbox. */
export interface Scratch {
  /** The absolute path the task sees it at, e.g. `/scratch`. */
  path: string;
  /** Whether the task may write to it; true unless given. */
  writable?: boolean;
}

/** The settings a task (or the DAG's `defaultArgs`) may give; each left out inherits. */
export interface TaskSettingsOptions {
  /** The queue the task is sent to; the host's default is `default`. */
  queue?: string;
  /** How many times a failed attempt is retried. */
  retries?: number;
  /** Delay before a retry. */
  retryDelay?: Duration;
  /** Double the retry delay after each failed attempt. */
  retryExponentialBackoff?: boolean;
  /** Upper bound of the retry delay with exponential backoff. */
  maxRetryDelay?: Duration;
  /** Wall-clock limit of one attempt. */
  executionTimeout?: Duration;
  /** The pool whose slots the task occupies while it runs. */
  pool?: string;
  /** Higher weights are queued first when slots are scarce. */
  priorityWeight?: number;
  /** Most linear memory the task may use, in bytes. */
  memoryBytes?: number | bigint;
  /** Where the task may send HTTP requests and open TCP connections: rules written
   * `[METHODS ][SCHEME://]HOST[:PORT|:*]` (`"GET https://api.example.com"`). */
  egress?: string | readonly string[];
  /** Scratch directories: a path (writable), or `{ path, writable }`. */
  scratch?: string | Scratch | ReadonlyArray<string | Scratch>;
  /** Connections the task may read (`ctx.connection`) or open (`ctx.sql`). */
  connections?: string | readonly string[];
  /** Secrets the task may read (`ctx.secret`). */
  secrets?: string | readonly string[];
  /** CPU budget of one attempt, in fuel units (about one per WebAssembly instruction). */
  fuel?: number | bigint;
  /** Labels a worker must have to run the task (`["gpu"]`: only workers started with
   * `wfctl worker --labels gpu`); at most 4. */
  workerLabels?: string | readonly string[];
  /** The architecture a worker must have to run the task: `x86_64`, `aarch64`, `riscv64`
   * or `s390x`. */
  arch?: string;
  /** How the task pokes when it reschedules or waits: `sensor({...})`. */
  sensor?: Sensor;
  /** Most instances of the task running at once, across all runs and map indexes. */
  maxActiveTis?: number;
  /** Who is told when an attempt succeeds. */
  onSuccess?: Notifier | readonly Notifier[];
  /** Who is told when the task fails for good. */
  onFailure?: Notifier | readonly Notifier[];
  /** Who is told when an attempt fails and another will follow. */
  onRetry?: Notifier | readonly Notifier[];
}

/** Every key of `TaskSettingsOptions`. */
export const SETTING_KEYS: ReadonlyArray<keyof TaskSettingsOptions> = [
  "queue",
  "retries",
  "retryDelay",
  "retryExponentialBackoff",
  "maxRetryDelay",
  "executionTimeout",
  "pool",
  "priorityWeight",
  "memoryBytes",
  "egress",
  "scratch",
  "connections",
  "secrets",
  "fuel",
  "workerLabels",
  "arch",
  "sensor",
  "maxActiveTis",
  "onSuccess",
  "onFailure",
  "onRetry",
];

/** What a task needs from outside its sandbox; the operator's policy may grant less. */
export interface Resources {
  memoryBytes?: bigint;
  egress: string[];
  scratch: Array<{ path: string; writable: boolean }>;
  connections: string[];
  secrets: string[];
  fuel?: bigint;
  workerLabels: string[];
  arch?: string;
}

/** Who is told of a task's attempts. */
export interface Notifications {
  onSuccess: Notifier[];
  onFailure: Notifier[];
  onRetry: Notifier[];
}

/** Settings of one task, or the DAG's defaults, checked; a field left out inherits. */
export interface TaskSettings {
  queue?: string;
  retries?: number;
  retryDelayMs?: number;
  retryExponentialBackoff?: boolean;
  maxRetryDelayMs?: number;
  executionTimeoutMs?: number;
  pool?: string;
  priorityWeight?: number;
  resources?: Resources;
  sensor?: Sensor;
  maxActiveTis?: number;
  notifications?: Notifications;
}

/** The largest `u32` and the bounds of `s32` and `u64`, as the WIT world types them. */
const U32_MAX = 0xffff_ffff;
const S32_MIN = -0x8000_0000;
const S32_MAX = 0x7fff_ffff;
const U64_MAX = (1n << 64n) - 1n;

/**
 * `TaskSettings` from `options`; an unknown key or a bad value is refused with a `TypeError`
 * or `RangeError` naming `where` (the task or DAG they belong to) and the key.
 */
export function settings(where: string, options: object): TaskSettings {
  const given = options as Record<string, unknown>;
  const unknown = Object.keys(given).filter((k) => !(SETTING_KEYS as readonly string[]).includes(k));
  if (unknown.length > 0) {
    throw new TypeError(
      `${where}: unknown setting${unknown.length > 1 ? "s" : ""} ${unknown.join(", ")} (settings: ${SETTING_KEYS.join(", ")})`,
    );
  }
  const get = <T>(key: keyof TaskSettingsOptions, convert: (value: unknown, what: string) => T) => {
    const value = given[key];
    return value === undefined || value === null ? undefined : convert(value, `${where}: ${key}`);
  };
  const resources: Resources = {
    memoryBytes: get("memoryBytes", (v, w) => u64(v, w)),
    egress: get("egress", strings) ?? [],
    scratch: get("scratch", scratch) ?? [],
    connections: get("connections", strings) ?? [],
    secrets: get("secrets", strings) ?? [],
    fuel: get("fuel", (v, w) => u64(v, w)),
    workerLabels: get("workerLabels", strings) ?? [],
    arch: get("arch", text),
  };
  if (resources.fuel === 0n) {
    throw new RangeError(`${where}: fuel: a budget of 0 could run nothing`);
  }
  const notifications: Notifications = {
    onSuccess: get("onSuccess", notifiers) ?? [],
    onFailure: get("onFailure", notifiers) ?? [],
    onRetry: get("onRetry", notifiers) ?? [],
  };
  const sensorSettings = get("sensor", (v, w) => {
    if (!(v instanceof Sensor)) {
      throw new TypeError(`${w}: expected sensor({...}), got ${show(v)}`);
    }
    return v;
  });
  const result: TaskSettings = {
    queue: get("queue", text),
    retries: get("retries", (v, w) => whole(v, w, 0, U32_MAX)),
    retryDelayMs: get("retryDelay", milliseconds),
    retryExponentialBackoff: get("retryExponentialBackoff", flag),
    maxRetryDelayMs: get("maxRetryDelay", milliseconds),
    executionTimeoutMs: get("executionTimeout", milliseconds),
    pool: get("pool", text),
    priorityWeight: get("priorityWeight", (v, w) => whole(v, w, S32_MIN, S32_MAX)),
    resources: isEmpty(resources) ? undefined : resources,
    sensor: sensorSettings,
    maxActiveTis: get("maxActiveTis", (v, w) => whole(v, w, 0, U32_MAX)),
    notifications: Object.values(notifications).some((list) => list.length > 0) ? notifications : undefined,
  };
  return dropUndefined(result);
}

/** Whether `resources` asks for nothing: every field inherits. */
function isEmpty(resources: Resources): boolean {
  return (
    resources.memoryBytes === undefined &&
    resources.fuel === undefined &&
    resources.arch === undefined &&
    resources.workerLabels.length === 0 &&
    resources.egress.length === 0 &&
    resources.scratch.length === 0 &&
    resources.connections.length === 0 &&
    resources.secrets.length === 0
  );
}

/** `value` without its undefined fields, so that settings compare and print cleanly. */
function dropUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}

/** A non-empty string. */
function text(value: unknown, what: string): string {
  if (typeof value !== "string" || value === "") {
    throw new TypeError(`${what}: expected a non-empty string, got ${show(value)}`);
  }
  return value;
}

/** A boolean. */
function flag(value: unknown, what: string): boolean {
  if (typeof value !== "boolean") {
    throw new TypeError(`${what}: expected true or false, got ${show(value)}`);
  }
  return value;
}

/** A whole number within `[min, max]`. */
function whole(value: unknown, what: string, min: number, max: number): number {
  if (typeof value !== "number" || !Number.isInteger(value)) {
    throw new TypeError(`${what}: expected a whole number, got ${show(value)}`);
  }
  if (value < min || value > max) {
    throw new RangeError(
      min === 0 && value < 0 ? `${what}: must not be negative, got ${value}` : `${what}: must be between ${min} and ${max}, got ${value}`,
    );
  }
  return value;
}

/** A whole number that fits `u64`, as a bigint. */
function u64(value: unknown, what: string): bigint {
  if (typeof value === "number" && Number.isSafeInteger(value)) {
    value = BigInt(value);
  }
  if (typeof value !== "bigint") {
    throw new TypeError(`${what}: expected a whole number, got ${show(value)}`);
  }
  if (value < 0n || value > U64_MAX) {
    throw new RangeError(`${what}: must be between 0 and ${U64_MAX}, got ${value}`);
  }
  return value;
}

/** A string or a list of strings, as a list. */
function strings(value: unknown, what: string): string[] {
  const items = typeof value === "string" ? [value] : Array.isArray(value) ? value : undefined;
  if (items === undefined) {
    throw new TypeError(`${what}: expected a string or a list of strings, got ${show(value)}`);
  }
  for (const item of items) {
    if (typeof item !== "string" || item === "") {
      throw new TypeError(`${what}: expected non-empty strings, got ${show(item)}`);
    }
  }
  return [...items];
}

/** One notifier or a list of them. */
function notifiers(value: unknown, what: string): Notifier[] {
  const items: unknown[] = Array.isArray(value) ? value : [value];
  for (const item of items) {
    if (!(item instanceof Webhook || item instanceof Email)) {
      throw new TypeError(`${what}: expected webhook(...) or email(...), got ${show(item)}`);
    }
  }
  return items as Notifier[];
}

/** Scratch directories: a path (writable), `{ path, writable }`, or a list of them. */
function scratch(value: unknown, what: string): Array<{ path: string; writable: boolean }> {
  const items: unknown[] = Array.isArray(value) ? value : [value];
  return items.map((item) => {
    const grant = typeof item === "string" ? { path: item, writable: true } : (item as Partial<Scratch> | null);
    const path = grant?.path;
    if (typeof path !== "string" || !path.startsWith("/")) {
      throw new TypeError(`${what}: expected an absolute path or { path, writable }, got ${show(item)}`);
    }
    return { path, writable: flag(grant?.writable ?? true, `${what} ${path}: writable`) };
  });
}
