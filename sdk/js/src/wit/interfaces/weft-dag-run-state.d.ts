declare module 'weft:dag/run-state@0.6.0' {
  /**
   * Every task instance of the run, the calling one included, by task and map index.
   */
  export function taskStates(): Array<TaskStatus>;
  /**
   * One task instance of the run.
   */
  export interface TaskStatus {
    /**
     * The task.
     */
    taskId: string,
    /**
     * For an instance of a mapped task: its map index, from 0.
     */
    mapIndex?: number,
    /**
     * Its state, as the API names it: `success`, `failed`, `running`, `upstream_failed`...
     */
    state: string,
    /**
     * Its current (or last) attempt, from 1; 0 before the first.
     */
    tryNumber: number,
    /**
     * Class of its last failure (`timeout`, `trap`, `task_error`...).
     */
    errorClass?: string,
    /**
     * Message of its last failure.
     */
    error?: string,
  }
}
