/**
 * A DAG and its tasks, declared in TypeScript.
 *
 * ```ts
 * import { Dag, chain } from "@weft/sdk";
 *
 * const dag = new Dag("hello", { schedule: "@daily", startDate: "2024-01-01" });
 *
 * const greet = dag.task("greet", { retries: 2 }, (ctx) => ({ greeting: `hello, ${ctx.conf.name ?? "world"}` }));
 * const shout = dag.task("shout", (ctx, { greet }) => ({ upper: greet.greeting.toUpperCase() }));
 *
 * greet.setDownstream(shout);            // or chain(greet, shout)
 * export default dag;
 * ```
 *
 * A task function takes the `Context` and an object holding the outputs of its direct
 * upstream tasks, keyed by task id (for a task mapped over an upstream task's output, that
 * task's key holds the instance's item). It returns any JSON value, or a promise of one: its
 * output, which downstream tasks receive.
 *
 * @module
 */

import { Context } from "./context.js";
import { type Duration, milliseconds, show } from "./durations.js";
import { PermanentError, RetryableError, TaskError } from "./errors.js";
import type { Host, TaskContextData } from "./host.js";
import { encode } from "./json.js";
import { Logger, captureConsole, inspect } from "./logs.js";
import { type Notifier, type TaskSettings, type TaskSettingsOptions, Email, Webhook, settings } from "./settings.js";
import { type DagSpec, type TaskKind, type TaskSpec, type TriggerRule, TRIGGER_RULES, checkAcyclic, checkId } from "./spec.js";
import { type Wait, isWait } from "./waits.js";

/** The outputs of a task's direct upstream tasks, decoded, keyed by task id. */
export type Upstream = Readonly<Record<string, any>>;

/** A task's code: its output is any JSON value, or a promise of one. */
export type TaskFunction = (ctx: Context, upstream: Upstream) => unknown;

/** A task's settings and how it relates to the others. */
export interface TaskOptions extends TaskSettingsOptions {
  /** When the task may run, given its upstream tasks' states; `all_success` unless given. */
  triggerRule?: TriggerRule;
  /** An upstream task whose output, a JSON array, maps this one: one instance per item. */
  expand?: Task;
  /** Items known now that map this task: one instance per item. */
  expandItems?: readonly unknown[];
  /** Assets (URIs) the task updates: each gets an event when the task succeeds. */
  outlets?: readonly string[];
}

/** A DAG's schedule, defaults and notifications. */
export interface DagOptions {
  description?: string;
  /** Cron expressions or presets (`@daily`), `@every 90m`, `@continuous` or `@once`; none: runs are triggered by hand. */
  schedule?: string;
  /** First logical date the schedule covers: `2024-01-01`, RFC 3339, or a `Date`. */
  startDate?: string | Date;
  /** Last logical date the schedule covers. */
  endDate?: string | Date;
  /** Create runs for every missed interval since `startDate`. */
  catchup?: boolean;
  maxActiveRuns?: number;
  maxActiveTasks?: number;
  /** Longest a run may last. */
  dagrunTimeout?: Duration;
  tags?: readonly string[];
  /** Settings every task inherits unless it gives its own. */
  defaultArgs?: TaskSettingsOptions;
  /** Who is told when a run succeeds. */
  onSuccess?: Notifier | readonly Notifier[];
  /** Who is told when a run fails. */
  onFailure?: Notifier | readonly Notifier[];
  /** Assets (URIs) whose updates start runs. */
  assets?: readonly string[];
}

/** Every key of `DagOptions`. */
const DAG_KEYS: ReadonlyArray<keyof DagOptions> = [
  "description",
  "schedule",
  "startDate",
  "endDate",
  "catchup",
  "maxActiveRuns",
  "maxActiveTasks",
  "dagrunTimeout",
  "tags",
  "defaultArgs",
  "onSuccess",
  "onFailure",
  "assets",
];

/** Tasks or lists of tasks, as the dependency helpers take them. */
export type Tasks = Task | readonly Task[];

/** A task of a DAG. */
export class Task {
  /** The ids of its direct upstream tasks, in the order they were set. */
  readonly upstreamIds: string[] = [];

  /** @internal Use `dag.task`, `dag.branch` or `dag.wait`. */
  constructor(
    readonly dag: Dag,
    readonly taskId: string,
    readonly fn: TaskFunction | undefined,
    readonly kind: TaskKind,
    readonly triggerRule: TriggerRule,
    readonly settings: TaskSettings,
    readonly expand: Task | undefined,
    readonly expandItems: Uint8Array[] | undefined,
    readonly outlets: string[],
  ) {
    if (expand !== undefined) {
      this.setUpstream(expand);
    }
  }

  /** Make `tasks` upstream of this one (Airflow's `t << others`); this task. */
  setUpstream(...tasks: Tasks[]): this {
    for (const task of flatten(tasks, `task ${this.taskId}: setUpstream`)) {
      if (task.dag !== this.dag) {
        throw new Error(`${task.taskId} and ${this.taskId} are in different DAGs`);
      }
      if (task === this) {
        throw new Error(`the tasks form a cycle: ${this.taskId} -> ${this.taskId}`);
      }
      if (!this.upstreamIds.includes(task.taskId)) {
        this.upstreamIds.push(task.taskId);
      }
    }
    return this;
  }

  /** Make `tasks` downstream of this one (Airflow's `t >> others`); this task. */
  setDownstream(...tasks: Tasks[]): this {
    for (const task of flatten(tasks, `task ${this.taskId}: setDownstream`)) {
      task.setUpstream(this);
    }
    return this;
  }

  /** This task as data. */
  spec(): TaskSpec {
    const expand =
      this.expand !== undefined
        ? { upstream: this.expand.taskId }
        : this.expandItems !== undefined
          ? { items: this.expandItems }
          : undefined;
    return {
      taskId: this.taskId,
      upstream: [...this.upstreamIds],
      triggerRule: this.triggerRule,
      settings: this.settings,
      kind: this.kind,
      ...(expand === undefined ? {} : { expand }),
      outlets: [...this.outlets],
    };
  }

  toString(): string {
    return `Task ${this.dag.dagId}.${this.taskId}`;
  }
}

/** `tasks` as one list of tasks; anything else is refused, naming `what`. */
function flatten(tasks: readonly Tasks[], what: string): Task[] {
  const out: Task[] = [];
  for (const item of tasks) {
    for (const task of item instanceof Task ? [item] : Array.isArray(item) ? item : [item]) {
      if (!(task instanceof Task)) {
        throw new TypeError(`${what}: expected tasks or lists of tasks, got ${show(task)}`);
      }
      out.push(task);
    }
  }
  return out;
}

/**
 * Set each element downstream of the one before, as Airflow's `chain`:
 * `chain(t1, [t2, t3], t4)` is `t1 >> [t2, t3] >> t4`. Two lists next to each other must
 * have the same length and are linked pairwise.
 */
export function chain(...items: Tasks[]): void {
  for (let i = 1; i < items.length; i++) {
    const up = items[i - 1] as Tasks;
    const down = items[i] as Tasks;
    if (up instanceof Task) {
      up.setDownstream(down);
    } else if (down instanceof Task) {
      down.setUpstream(up);
    } else {
      if (up.length !== down.length) {
        throw new RangeError(
          `chain(): lists next to each other must have the same length, got ${up.length} and ${down.length}`,
        );
      }
      up.forEach((task, j) => task.setDownstream(down[j] as Task));
    }
  }
}

/** Set every task of `downstream` downstream of every task of `upstream` (Airflow's `cross_downstream`). */
export function crossDownstream(upstream: readonly Task[], downstream: readonly Task[]): void {
  for (const task of upstream) {
    task.setDownstream(downstream);
  }
}

/** A DAG: its schedule, defaults and tasks. One component holds one DAG. */
export class Dag {
  readonly dagId: string;
  readonly description: string;
  readonly schedule: string | undefined;
  readonly startDate: string | undefined;
  readonly endDate: string | undefined;
  readonly catchup: boolean;
  readonly maxActiveRuns: number | undefined;
  readonly maxActiveTasks: number | undefined;
  readonly dagrunTimeoutMs: number | undefined;
  readonly tags: string[];
  readonly defaults: TaskSettings;
  readonly onSuccess: Notifier[];
  readonly onFailure: Notifier[];
  readonly assets: string[];
  /** The tasks, by id, in the order they were declared. */
  readonly tasks = new Map<string, Task>();

  constructor(dagId: string, options: DagOptions = {}) {
    this.dagId = checkId(dagId, "DAG id");
    const where = `DAG ${dagId}`;
    const given = options as Record<string, unknown>;
    const unknown = Object.keys(given).filter((k) => !(DAG_KEYS as readonly string[]).includes(k));
    if (unknown.length > 0) {
      throw new TypeError(`${where}: unknown option${unknown.length > 1 ? "s" : ""} ${unknown.join(", ")} (options: ${DAG_KEYS.join(", ")})`);
    }
    this.description = optionalString(options.description, `${where}: description`) ?? "";
    this.schedule = optionalString(options.schedule, `${where}: schedule`);
    this.startDate = date(options.startDate, `${where}: startDate`);
    this.endDate = date(options.endDate, `${where}: endDate`);
    if (options.catchup !== undefined && typeof options.catchup !== "boolean") {
      throw new TypeError(`${where}: catchup: expected true or false, got ${show(options.catchup)}`);
    }
    this.catchup = options.catchup ?? false;
    this.maxActiveRuns = count(options.maxActiveRuns, `${where}: maxActiveRuns`);
    this.maxActiveTasks = count(options.maxActiveTasks, `${where}: maxActiveTasks`);
    this.dagrunTimeoutMs =
      options.dagrunTimeout === undefined ? undefined : milliseconds(options.dagrunTimeout, `${where}: dagrunTimeout`);
    this.tags = stringList(options.tags, `${where}: tags`);
    this.defaults = settings(`${where} defaultArgs`, options.defaultArgs ?? {});
    this.onSuccess = notifierList(options.onSuccess, `${where}: onSuccess`);
    this.onFailure = notifierList(options.onFailure, `${where}: onFailure`);
    this.assets = stringList(options.assets, `${where}: assets`);
  }

  // --- declaring tasks -------------------------------------------------------------------

  /** Declare a task running `fn`: `dag.task("id", fn)` or `dag.task("id", { retries: 2 }, fn)`. */
  task(taskId: string, fn: TaskFunction): Task;
  task(taskId: string, options: TaskOptions, fn: TaskFunction): Task;
  task(taskId: string, optionsOrFn: TaskOptions | TaskFunction, fn?: TaskFunction): Task {
    return this.declare(taskId, "code", optionsOrFn, fn);
  }

  /**
   * Declare a task whose output (a task id or a list of them) picks which direct downstream
   * tasks follow; the others are skipped (Airflow's `@task.branch`).
   */
  branch(taskId: string, fn: TaskFunction): Task;
  branch(taskId: string, options: TaskOptions, fn: TaskFunction): Task;
  branch(taskId: string, optionsOrFn: TaskOptions | TaskFunction, fn?: TaskFunction): Task {
    return this.declare(taskId, "branch", optionsOrFn, fn);
  }

  /**
   * Declare a task that runs no code and succeeds when `until` holds (a deferrable sensor:
   * `waits.external(...)`, `waits.until(...)`, `waits.afterDataIntervalEnd(...)`).
   */
  wait(taskId: string, until: Wait, options: TaskOptions = {}): Task {
    if (!isWait(until)) {
      throw new TypeError(`task ${taskId}: expected a wait from waits.*, got ${show(until)}`);
    }
    return this.add(taskId, undefined, until, options);
  }

  private declare(
    taskId: string,
    kind: "code" | "branch",
    optionsOrFn: TaskOptions | TaskFunction,
    fn: TaskFunction | undefined,
  ): Task {
    const [options, code] = typeof optionsOrFn === "function" ? [{}, optionsOrFn] : [optionsOrFn, fn];
    if (typeof code !== "function") {
      throw new TypeError(`task ${taskId}: expected its function, got ${show(code)}`);
    }
    return this.add(taskId, code, kind, options);
  }

  private add(taskId: string, fn: TaskFunction | undefined, kind: TaskKind, options: TaskOptions): Task {
    checkId(taskId, `DAG ${this.dagId}: task id`);
    if (this.tasks.has(taskId)) {
      throw new Error(`DAG ${this.dagId} has two tasks named ${taskId}`);
    }
    if (options === null || typeof options !== "object" || Array.isArray(options)) {
      throw new TypeError(`task ${taskId}: expected an object of options, got ${show(options)}`);
    }
    const where = `task ${taskId}`;
    const { triggerRule, expand, expandItems, outlets, ...rest } = options;
    const rule = triggerRule ?? "all_success";
    if (!(TRIGGER_RULES as readonly string[]).includes(rule)) {
      throw new RangeError(`${where}: triggerRule: unknown trigger rule ${show(rule)}; one of ${TRIGGER_RULES.join(", ")}`);
    }
    if (expand !== undefined && !(expand instanceof Task && expand.dag === this)) {
      throw new TypeError(`${where}: expand: expected a task of DAG ${this.dagId}, got ${show(expand)}`);
    }
    if (expand !== undefined && expandItems !== undefined) {
      throw new TypeError(`${where}: give expand or expandItems, not both`);
    }
    if (expandItems !== undefined && !Array.isArray(expandItems)) {
      throw new TypeError(`${where}: expandItems: expected a list, got ${show(expandItems)}`);
    }
    const items = expandItems?.map((item, i) => encode(item, `${where}: expandItems[${i}]`));
    const task = new Task(
      this,
      taskId,
      fn,
      kind,
      rule,
      settings(where, rest),
      expand,
      items,
      stringList(outlets, `${where}: outlets`),
    );
    this.tasks.set(taskId, task);
    return task;
  }

  // --- what the component exports ----------------------------------------------------------

  /** The DAG as data, checked: upstream tasks exist and form no cycle. */
  spec(): DagSpec {
    const tasks = [...this.tasks.values()].map((t) => t.spec());
    for (const task of tasks) {
      for (const up of task.upstream) {
        if (!this.tasks.has(up)) {
          throw new Error(`task ${task.taskId}: unknown upstream task ${up}`);
        }
      }
    }
    checkAcyclic(tasks);
    return {
      dagId: this.dagId,
      description: this.description,
      schedule: this.schedule,
      startDate: this.startDate,
      endDate: this.endDate,
      catchup: this.catchup,
      maxActiveRuns: this.maxActiveRuns,
      maxActiveTasks: this.maxActiveTasks,
      dagrunTimeoutMs: this.dagrunTimeoutMs,
      tags: [...this.tags],
      defaults: this.defaults,
      tasks,
      onSuccess: [...this.onSuccess],
      onFailure: [...this.onFailure],
      assets: [...this.assets],
    };
  }

  /**
   * Run one attempt of task `data.taskId` with the outputs its upstream tasks handed it: its
   * output as JSON bytes, or a `TaskError`. Anything else thrown is logged with its stack and
   * becomes a retryable error, as in Airflow.
   */
  async runTask(host: Host, data: TaskContextData, outputs: ReadonlyMap<string, Uint8Array>): Promise<Uint8Array> {
    const task = this.tasks.get(data.taskId);
    if (task?.fn === undefined) {
      throw new PermanentError(`DAG \`${this.dagId}\` has no task \`${data.taskId}\` that runs code`);
    }
    const log = new Logger(host);
    const restore = captureConsole(log);
    try {
      const ctx = new Context(host, data, outputs, log);
      const output: unknown = await task.fn(ctx, upstreamArgument(task, ctx));
      return encode(output, `the output of \`${task.taskId}\``);
    } catch (error) {
      if (error instanceof TaskError) {
        throw error;
      }
      log.error(inspect(error));
      const message = error instanceof Error ? `${error.name}: ${error.message}` : `thrown: ${inspect(error)}`;
      throw new RetryableError(message, { cause: error });
    } finally {
      restore();
    }
  }
}

/**
 * The one `Dag` module `app` exports: its default export, else its only named export that is
 * a `Dag`. `entry` names the module in errors.
 */
export function findDag(app: Record<string, unknown>, entry: string): Dag {
  if (app["default"] instanceof Dag) {
    return app["default"];
  }
  const dags = Object.entries(app).filter((e): e is [string, Dag] => e[1] instanceof Dag);
  if (dags.length === 1) {
    return (dags[0] as [string, Dag])[1];
  }
  const found = dags.length === 0 ? "none" : dags.map(([name, d]) => `${name} (${d.dagId})`).join(", ");
  throw new Error(
    `${entry} must export exactly one Dag, as its default export (\`export default dag\`) or a named one (one component holds one DAG); found: ${found}`,
  );
}

/** The second argument of a task's function: its upstream outputs, decoded when read. */
function upstreamArgument(task: Task, ctx: Context): Upstream {
  const inputs: Record<string, unknown> = {};
  const lazily = (key: string, read: () => unknown) => {
    let value: { read: unknown } | undefined;
    Object.defineProperty(inputs, key, {
      enumerable: true,
      get: () => (value ??= { read: read() }).read,
    });
  };
  for (const id of ctx.upstreamIds) {
    lazily(id, () => ctx.upstream(id));
  }
  if (task.expand !== undefined) {
    lazily(task.expand.taskId, () => ctx.mapItem);
  }
  return Object.freeze(inputs);
}

/** An optional string. */
function optionalString(value: unknown, what: string): string | undefined {
  if (value !== undefined && typeof value !== "string") {
    throw new TypeError(`${what}: expected a string, got ${show(value)}`);
  }
  return value;
}

/** An optional date: a string as given, or a `Date` as RFC 3339. */
function date(value: unknown, what: string): string | undefined {
  if (value instanceof Date) {
    if (Number.isNaN(value.getTime())) {
      throw new RangeError(`${what}: the Date is invalid`);
    }
    return value.toISOString();
  }
  return optionalString(value, what);
}

/** An optional count that fits `u32`. */
function count(value: unknown, what: string): number | undefined {
  if (value === undefined) {
    return undefined;
  }
  if (typeof value !== "number" || !Number.isInteger(value) || value < 0 || value > 0xffff_ffff) {
    throw new TypeError(`${what}: expected a whole number from 0, got ${show(value)}`);
  }
  return value;
}

/** An optional list of non-empty strings. */
function stringList(value: unknown, what: string): string[] {
  if (value === undefined) {
    return [];
  }
  if (!Array.isArray(value) || value.some((v) => typeof v !== "string" || v === "")) {
    throw new TypeError(`${what}: expected a list of non-empty strings, got ${show(value)}`);
  }
  return [...value];
}

/** One notifier or a list of them. */
function notifierList(value: unknown, what: string): Notifier[] {
  if (value === undefined) {
    return [];
  }
  const items: unknown[] = Array.isArray(value) ? value : [value];
  for (const item of items) {
    if (!(item instanceof Webhook || item instanceof Email)) {
      throw new TypeError(`${what}: expected webhook(...) or email(...), got ${show(item)}`);
    }
  }
  return items as Notifier[];
}
