/// <reference path="./weft-dag-types.d.ts" />
declare module 'weft:dag/xcom@0.6.0' {
  /**
   * Store `value` under `key` for the calling task instance, replacing any earlier value.
   * The host bounds each value and all of an attempt's values together (`too-large`); the
   * values of an attempt that fails are discarded.
   */
  export function push(key: string, value: Uint8Array): void;
  /**
   * Read a value of task `task-id` in the same run: its output when `key` is none, else the
   * value it pushed under `key`. The task must be upstream (directly or not) of the caller.
   * Returns none when the task has no such value (it was skipped, say).
   */
  export function pull(taskId: string, key: string | undefined): Uint8Array | undefined;
  export type XcomError = import('weft:dag/types@0.6.0').XcomError;
}
