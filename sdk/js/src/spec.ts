/**
 * A DAG's structure as data: what `describe` returns, before it becomes the WIT world's
 * records (`records.ts`), and the checks it must pass.
 *
 * @module
 */

import { show } from "./durations.js";
import type { Notifier, TaskSettings } from "./settings.js";
import type { Wait } from "./waits.js";

/** Ids of DAGs and tasks: letters, digits, `_`, `-` and `.`. */
const ID_PATTERN = /^[A-Za-z0-9_.-]{1,250}$/;

/** Airflow's trigger rules, as Airflow writes them. */
export const TRIGGER_RULES = [
  "all_success",
  "all_failed",
  "all_done",
  "one_success",
  "one_failed",
  "one_done",
  "none_failed",
  "none_failed_min_one_success",
  "none_skipped",
  "always",
  "all_skipped",
] as const;

/** When a task may run, given the final states of its direct upstream tasks. */
export type TriggerRule = (typeof TRIGGER_RULES)[number];

/** What a task is: code, a branch that picks its downstream tasks, or a wait. */
export type TaskKind = "code" | "branch" | Wait;

/** What a mapped task expands over. */
export type Expand = { upstream: string } | { items: Uint8Array[] };

/** One task as data. */
export interface TaskSpec {
  taskId: string;
  upstream: string[];
  triggerRule: TriggerRule;
  settings: TaskSettings;
  kind: TaskKind;
  expand?: Expand;
  outlets: string[];
}

/** A DAG's structure, as `describe` returns it. */
export interface DagSpec {
  dagId: string;
  description: string;
  schedule?: string;
  startDate?: string;
  endDate?: string;
  catchup: boolean;
  maxActiveRuns?: number;
  maxActiveTasks?: number;
  dagrunTimeoutMs?: number;
  tags: string[];
  defaults: TaskSettings;
  tasks: TaskSpec[];
  onSuccess: Notifier[];
  onFailure: Notifier[];
  assets: string[];
}

/** `value` when it is a valid DAG or task id; else a `TypeError` naming `what`. */
export function checkId(value: unknown, what: string): string {
  if (typeof value !== "string" || !ID_PATTERN.test(value)) {
    throw new TypeError(`${what} ${show(value)} is not a valid id: 1 to 250 letters, digits, '_', '-' or '.'`);
  }
  return value;
}

/** Refuse a dependency cycle with an `Error` naming the tasks on it, in dependency order. */
export function checkAcyclic(tasks: readonly TaskSpec[]): void {
  const upstream = new Map(tasks.map((t) => [t.taskId, t.upstream]));
  // 1: on the current path; 2: done.
  const state = new Map<string, 1 | 2>();
  const visit = (taskId: string, path: string[]): void => {
    if (state.get(taskId) === 2) {
      return;
    }
    if (state.get(taskId) === 1) {
      const cycle = [...path.slice(path.indexOf(taskId)), taskId];
      throw new Error(`the tasks form a cycle: ${cycle.reverse().join(" -> ")}`);
    }
    state.set(taskId, 1);
    for (const up of upstream.get(taskId) ?? []) {
      visit(up, [...path, taskId]);
    }
    state.set(taskId, 2);
  };
  for (const taskId of upstream.keys()) {
    visit(taskId, []);
  }
}
