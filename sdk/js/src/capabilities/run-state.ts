/**
 * The run-state capability: the task instances of the run the attempt belongs to.
 *
 * `ctx.taskStates()` (Airflow's `dag_run.get_task_instances()`), over the host call
 * `taskStates`; `FakeHost` answers its `taskStates` option.
 *
 * @module
 */

import { defineCapability, host } from "../capability.js";

/** One task instance of the current run. */
export interface TaskStatus {
  taskId: string;
  /** For an instance of a mapped task: its map index. */
  mapIndex?: number;
  /** `success`, `failed`, `running`, `upstream_failed`... */
  state: string;
  /** Its current (or last) attempt; 0 before the first. */
  tryNumber: number;
  /** Class of its last failure (`timeout`, `trap`, `task_error`...). */
  errorClass?: string;
  /** Message of its last failure. */
  error?: string;
}

declare module "../context.js" {
  interface Context {
    /**
     * Every task instance of this run (this one included), by task and map index, as the
     * control plane knows them now: a report task reads which tasks failed and why.
     */
    taskStates(): TaskStatus[];
  }
}

declare module "../host.js" {
  interface Host {
    /** The task instances of the attempt's run. */
    taskStates(): TaskStatus[];
  }
}

declare module "../testing.js" {
  interface FakeHostOptions {
    taskStates?: TaskStatus[];
  }
}

defineCapability({
  name: "run-state",
  context: {
    taskStates(): TaskStatus[] {
      return host(this).taskStates();
    },
  },
  guest: (wit) => ({
    taskStates: () =>
      wit.runState.taskStates().map((s) => ({
        taskId: s.taskId,
        mapIndex: s.mapIndex,
        state: s.state,
        tryNumber: s.tryNumber,
        errorClass: s.errorClass,
        error: s.error,
      })),
  }),
  fake: (_fake, options) => ({
    taskStates: () => [...(options.taskStates ?? [])],
  }),
});
