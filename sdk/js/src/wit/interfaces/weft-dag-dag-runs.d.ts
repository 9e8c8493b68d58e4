declare module 'weft:dag/dag-runs@0.6.0' {
  /**
   * Create a run of a DAG of the caller's tenant and return its run id. Without a run id
   * in the request, a run an earlier attempt of the same task instance made by the same
   * call is returned again, not made twice; a run id given that is taken is refused
   * (`already-exists`).
   */
  export function trigger(request: TriggerRequest): string;
  /**
   * Why a run could not be triggered.
   */
  export type TriggerError = TriggerErrorNotFound | TriggerErrorPaused | TriggerErrorInvalid | TriggerErrorAlreadyExists | TriggerErrorUnavailable;
  /**
   * No DAG of that id is deployed in the caller's tenant.
   */
  export interface TriggerErrorNotFound {
    tag: 'not-found',
    val: string,
  }
  /**
   * The DAG is paused: its runs would not start.
   */
  export interface TriggerErrorPaused {
    tag: 'paused',
    val: string,
  }
  /**
   * The request is malformed: a conf that is not a JSON object, a bad logical date or
   * run id.
   */
  export interface TriggerErrorInvalid {
    tag: 'invalid',
    val: string,
  }
  /**
   * The run id given is taken by a run that exists already.
   */
  export interface TriggerErrorAlreadyExists {
    tag: 'already-exists',
    val: string,
  }
  /**
   * The control plane could not be reached in time; worth retrying.
   */
  export interface TriggerErrorUnavailable {
    tag: 'unavailable',
    val: string,
  }
  /**
   * A run to create.
   */
  export interface TriggerRequest {
    /**
     * The DAG to run.
     */
    dagId: string,
    /**
     * The run's configuration, a JSON object; none means `{}`.
     */
    conf?: string,
    /**
     * The run's logical date (RFC 3339); none means now.
     */
    logicalDate?: string,
    /**
     * The run's id; none means one made from the calling task instance and the call's
     * place among its calls, so that a retried attempt finds the run an earlier attempt
     * made instead of making a second one.
     */
    runId?: string,
  }
}
