/// <reference path="./weft-dag-types.d.ts" />
declare module 'weft:dag/runtime@0.6.0' {
  /**
   * The run and attempt the current `run-task` call belongs to.
   */
  export function context(): TaskContext;
  /**
   * The worker and queue that run the current attempt.
   */
  export function worker(): WorkerInfo;
  export type TaskContext = import('weft:dag/types@0.6.0').TaskContext;
  export type WorkerInfo = import('weft:dag/types@0.6.0').WorkerInfo;
}
