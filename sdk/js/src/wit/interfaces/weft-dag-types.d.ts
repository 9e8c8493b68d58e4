declare module 'weft:dag/types@0.6.0' {
  /**
   * Severity of a task log line.
   * # Variants
   * 
   * ## `"trace"`
   * 
   * ## `"debug"`
   * 
   * ## `"info"`
   * 
   * ## `"warn"`
   * 
   * ## `"error"`
   */
  export type LogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error';
  /**
   * When a task may run, given the final states of its direct upstream tasks.
   * These are Airflow's trigger rules with the same meaning.
   * # Variants
   * 
   * ## `"all-success"`
   * 
   * Every upstream succeeded (the default).
   * ## `"all-failed"`
   * 
   * Every upstream failed or was upstream-failed.
   * ## `"all-done"`
   * 
   * Every upstream finished, whatever its state.
   * ## `"one-success"`
   * 
   * At least one upstream succeeded; does not wait for the others.
   * ## `"one-failed"`
   * 
   * At least one upstream failed; does not wait for the others.
   * ## `"one-done"`
   * 
   * At least one upstream succeeded or failed; does not wait for the others.
   * ## `"none-failed"`
   * 
   * No upstream failed or was upstream-failed (skipped ones are fine).
   * ## `"none-failed-min-one-success"`
   * 
   * No upstream failed or was upstream-failed, and at least one succeeded.
   * ## `"none-skipped"`
   * 
   * No upstream was skipped.
   * ## `"always"`
   * 
   * Run at once, whatever the states of the upstream tasks.
   * ## `"all-skipped"`
   * 
   * Every upstream was skipped.
   */
  export type TriggerRule = 'all-success' | 'all-failed' | 'all-done' | 'one-success' | 'one-failed' | 'one-done' | 'none-failed' | 'none-failed-min-one-success' | 'none-skipped' | 'always' | 'all-skipped';
  /**
   * A directory the task asks to be granted inside its sandbox.
   */
  export interface DirectoryGrant {
    /**
     * Absolute path at which the guest sees the directory, e.g. `/scratch`.
     */
    guestPath: string,
    /**
     * Whether the task may write to it.
     */
    writable: boolean,
  }
  /**
   * What a task needs from outside its sandbox. The host's policy may grant less.
   * A task's `resources` resolve field by field against those of `dag-spec.defaults`:
   * each field the task leaves as none or as an empty list takes the defaults' value.
   */
  export interface Resources {
    /**
     * Most linear memory the task may use, in bytes; none means the DAG's default, else
     * the host's.
     */
    memoryBytes?: bigint,
    /**
     * Where the task may send HTTP requests and open TCP connections. One rule per entry,
     * written `[METHODS ][SCHEME://]HOST[:PORT]`:
     * - HOST is a name (`api.example.com`), a wildcard over its subdomains
     *   (`*.example.com`, which does not match `example.com` itself), or an IP address
     *   (`10.0.0.5`, `[::1]`);
     * - SCHEME is `http`, `https` or `tcp`; without it, `http` and `https` (never `tcp`);
     * - PORT is a number or `*` (any port); without it, the scheme's own (80, 443); a
     *   `tcp` rule needs one;
     * - METHODS is a comma-separated list (`GET,HEAD`); without it, any method; a `tcp`
     *   rule takes none.
     * A request or connection goes out only when it matches a rule here and one of the
     * operator's. SQL through `sql` needs no rule here: declaring the connection is enough
     * on the task's side (the operator must still allow its `tcp://HOST:PORT`).
     */
    egressAllowlist: Array<string>,
    /**
     * Directories the task asks for. This version of the host grants only a fresh, empty
     * scratch directory per attempt, at the path asked for.
     */
    directories: Array<DirectoryGrant>,
    /**
     * Ids of the connections the task may read with `connections.get` or open with
     * `sql.open`.
     */
    connections: Array<string>,
    /**
     * Names of the secrets the task may read with `secrets.get` or use in requests.
     */
    secrets: Array<string>,
    /**
     * CPU budget of one attempt, in fuel units (about one per WebAssembly instruction);
     * none means the DAG's default, else the tenant's, else the worker's. An attempt that
     * uses it up fails with class `cpu_budget` and is retried like any other failure,
     * retries permitting. The tenant's ceiling, when it has one, is the most a task may
     * ask for: a DAG asking for more is refused at deploy.
     * 
     * @since 0.4.0
     */
    fuel?: bigint,
    /**
     * Labels a worker must have to run the task (`gpu`, `ssd`): it goes only to workers
     * started with every one of them (`wfctl worker --labels gpu,ssd`), on the task's
     * queue, and waits there until one serves it. Each label is 1 to 250 ASCII letters,
     * digits, `_`, `-` or `.`; at most 4. Empty means the defaults' labels, else none.
     * 
     * @since 0.6.0
     */
    workerLabels: Array<string>,
    /**
     * The machine architecture a worker must have to run the task, as Rust names it:
     * `x86_64`, `aarch64`, `riscv64` or `s390x`. None means the defaults', else any.
     * A component runs the same on every architecture; this is for tasks whose outside
     * world differs by machine.
     * 
     * @since 0.6.0
     */
    arch?: string,
  }
  /**
   * How a sensor pokes and how long it may wait (Airflow's `BaseSensorOperator`).
   * 
   * @since 0.3.0
   */
  export interface SensorSettings {
    /**
     * Delay before the next poke when a task reschedules without naming one, in
     * milliseconds.
     */
    pokeIntervalMs: bigint,
    /**
     * Longest the task may wait, from the first poke of its current try (or the start of
     * its wait), in milliseconds; none means no limit. Past it the task fails, or is
     * skipped with `soft-fail`; it is not retried. A task with no `sensor` settings that
     * reschedules waits at most seven days, as in Airflow.
     */
    timeoutMs?: bigint,
    /**
     * Skip the task instead of failing it when it times out or when what it waits for
     * ends in a failed state.
     */
    softFail: boolean,
    /**
     * Double the delay after each poke that reschedules, up to `max-poke-interval-ms`.
     */
    exponentialBackoff: boolean,
    /**
     * Upper bound of the delay with exponential backoff, in milliseconds; none means an
     * hour.
     */
    maxPokeIntervalMs?: bigint,
  }
  /**
   * An email notification.
   * 
   * @since 0.3.0
   */
  export interface EmailNotifier {
    /**
     * Connection (`conn-type` `smtp`) of the SMTP server: host, port, login and
     * password; `extra` holds `from` (the sender's address) and `tls` (`starttls`, the
     * default, `tls` or `none`).
     */
    connId: string,
    /**
     * The recipients' addresses.
     */
    to: Array<string>,
  }
  /**
   * Where a notification goes.
   * 
   * @since 0.3.0
   */
  export type Notifier = NotifierWebhook | NotifierEmail;
  /**
   * An HTTP POST of the notification's JSON document to the URL of connection
   * `conn-id` (`conn-type` `http`: `host` is the URL, or `schema://host:port/path`);
   * when the connection has a password, the request is signed with it
   * (`weft-signature: sha256=HMAC`). The URL must be allowed by the operator's egress
   * policy.
   */
  export interface NotifierWebhook {
    tag: 'webhook',
    val: string,
  }
  /**
   * An email, sent through the SMTP server of a connection.
   */
  export interface NotifierEmail {
    tag: 'email',
    val: EmailNotifier,
  }
  /**
   * Who is told about a task's attempts.
   * 
   * @since 0.3.0
   */
  export interface TaskNotifications {
    /**
     * When an attempt succeeds (Airflow's `on_success_callback`).
     */
    onSuccess: Array<Notifier>,
    /**
     * When the task fails for good (`on_failure_callback`, `email_on_failure`).
     */
    onFailure: Array<Notifier>,
    /**
     * When an attempt fails and another will follow (`on_retry_callback`).
     */
    onRetry: Array<Notifier>,
  }
  /**
   * Task settings. In `dag-spec.defaults` they apply to every task; in `task-spec.settings`
   * they override the defaults for one task. A field left as none inherits.
   */
  export interface TaskSettings {
    /**
     * Name of the queue the task is sent to; the host's default queue is `default`.
     */
    queue?: string,
    /**
     * How many times a failed attempt is retried.
     */
    retries?: number,
    /**
     * Delay before a retry, in milliseconds.
     */
    retryDelayMs?: bigint,
    /**
     * Double the retry delay after each failed attempt.
     */
    retryExponentialBackoff?: boolean,
    /**
     * Upper bound of the retry delay with exponential backoff, in milliseconds.
     */
    maxRetryDelayMs?: bigint,
    /**
     * Wall-clock limit of one attempt, in milliseconds.
     */
    executionTimeoutMs?: bigint,
    /**
     * Pool whose slots the task occupies while it runs.
     */
    pool?: string,
    /**
     * Higher weights are queued first when slots are scarce.
     */
    priorityWeight?: number,
    /**
     * What the task needs from the machine.
     */
    resources?: Resources,
    /**
     * How the task behaves as a sensor: how often it pokes and how long it may wait.
     * Applies to a task that returns `task-error.reschedule` or `task-error.defer`, and
     * to a `task-kind.wait`.
     * 
     * @since 0.3.0
     */
    sensor?: SensorSettings,
    /**
     * Most instances of this task running at once, across all runs of the DAG and all
     * map indexes (Airflow's `max_active_tis_per_dag`); none means no limit of its own.
     * 
     * @since 0.3.0
     */
    maxActiveTis?: number,
    /**
     * Who is told when the task succeeds, fails, or fails and will be retried.
     * 
     * @since 0.3.0
     */
    notifications?: TaskNotifications,
  }
  /**
   * Who is told when a DAG run ends.
   * 
   * @since 0.3.0
   */
  export interface RunNotifications {
    /**
     * When a run succeeds.
     */
    onSuccess: Array<Notifier>,
    /**
     * When a run fails.
     */
    onFailure: Array<Notifier>,
  }
  /**
   * The final states a task or run may end in, as a wait names them.
   * 
   * @since 0.3.0
   * # Variants
   * 
   * ## `"success"`
   * 
   * ## `"failed"`
   * 
   * ## `"skipped"`
   * 
   * ## `"upstream-failed"`
   */
  export type EndedState = 'success' | 'failed' | 'skipped' | 'upstream-failed';
  /**
   * Which run of another DAG a wait means.
   * 
   * @since 0.3.0
   */
  export type RunSelector = RunSelectorRunId | RunSelectorLogicalDateOffsetMs;
  /**
   * The run with this run id.
   */
  export interface RunSelectorRunId {
    tag: 'run-id',
    val: string,
  }
  /**
   * The run whose logical date is this run's logical date shifted by the given number
   * of milliseconds (0: the same logical date, as Airflow's `ExternalTaskSensor`
   * assumes; -3600000: an hour earlier, its `execution_delta`).
   */
  export interface RunSelectorLogicalDateOffsetMs {
    tag: 'logical-date-offset-ms',
    val: bigint,
  }
  /**
   * A wait on a run of another DAG, or on one of its tasks (Airflow's
   * `ExternalTaskSensor`).
   * 
   * @since 0.3.0
   */
  export interface ExternalWait {
    /**
     * The DAG, of the same tenant.
     */
    dagId: string,
    /**
     * The run.
     */
    run: RunSelector,
    /**
     * The task to wait for; none waits for the whole run.
     */
    taskId?: string,
    /**
     * End states that satisfy the wait; empty means `success`.
     */
    allowedStates: Array<EndedState>,
    /**
     * End states that fail the wait (or skip it, with `soft-fail`); empty means every
     * state not allowed.
     */
    failedStates: Array<EndedState>,
  }
  /**
   * Something the scheduler waits for by itself, without running a task's code and
   * without holding a worker slot (Airflow's deferrable operators and triggers).
   * 
   * @since 0.3.0
   */
  export type WaitCondition = WaitConditionUntil | WaitConditionAfterDataIntervalEndMs | WaitConditionExternal;
  /**
   * A point in time, RFC 3339 (`DateTimeSensor`).
   */
  export interface WaitConditionUntil {
    tag: 'until',
    val: string,
  }
  /**
   * A number of milliseconds after the end of the run's data interval
   * (`TimeDeltaSensor`).
   */
  export interface WaitConditionAfterDataIntervalEndMs {
    tag: 'after-data-interval-end-ms',
    val: bigint,
  }
  /**
   * Another DAG's run, or one of its tasks, ending.
   */
  export interface WaitConditionExternal {
    tag: 'external',
    val: ExternalWait,
  }
  /**
   * What a task is.
   * 
   * @since 0.3.0
   */
  export type TaskKind = TaskKindCode | TaskKindBranch | TaskKindWait;
  /**
   * It runs its code (the default).
   */
  export interface TaskKindCode {
    tag: 'code',
  }
  /**
   * It runs its code, whose output names the downstream tasks to follow (Airflow's
   * `@task.branch`): a JSON string (one task id) or array of strings (none, one or
   * more). Each must be a direct downstream task; the other direct downstream tasks
   * are skipped.
   */
  export interface TaskKindBranch {
    tag: 'branch',
  }
  /**
   * It runs no code: it is deferred from the start, and succeeds when `wait-condition`
   * holds (or fails as the condition and `sensor` settings say).
   */
  export interface TaskKindWait {
    tag: 'wait',
    val: WaitCondition,
  }
  /**
   * What a mapped task expands over: one task instance per item (Airflow's `expand`).
   * 
   * @since 0.3.0
   */
  export type Expand = ExpandUpstream | ExpandItems;
  /**
   * The output of this direct upstream task, which must be a JSON array. Its whole
   * output is not passed to the instances; each gets its item in
   * `task-context.map-item`.
   */
  export interface ExpandUpstream {
    tag: 'upstream',
    val: string,
  }
  /**
   * These items (each a JSON document), known when the DAG is built.
   */
  export interface ExpandItems {
    tag: 'items',
    val: Array<Uint8Array>,
  }
  /**
   * One task of a DAG.
   */
  export interface TaskSpec {
    /**
     * Unique within the DAG: letters, digits, `_`, `-` and `.`.
     */
    taskId: string,
    /**
     * Ids of the tasks that must finish before this one, judged by `trigger-rule`.
     */
    upstream: Array<string>,
    /**
     * When the task may run, given its upstream tasks' states.
     */
    triggerRule: TriggerRule,
    /**
     * Settings that override the DAG's defaults for this task.
     */
    settings: TaskSettings,
    /**
     * Whether the task runs code, picks a branch, or only waits.
     * 
     * @since 0.3.0
     */
    kind: TaskKind,
    /**
     * When set, the task is mapped: it runs once per item. A downstream task gets the
     * outputs of all the instances, in map index order, as one JSON array.
     * 
     * @since 0.3.0
     */
    expand?: Expand,
    /**
     * Assets (URIs such as `s3://bucket/key`) the task updates: each gets an event when
     * the task succeeds, which starts the runs of DAGs waiting for it.
     * 
     * @since 0.5.0
     */
    outlets: Array<string>,
  }
  /**
   * A DAG's structure, returned by `describe`.
   */
  export interface DagSpec {
    /**
     * Unique within a tenant: letters, digits, `_`, `-` and `.`.
     */
    dagId: string,
    /**
     * Free text shown to users.
     */
    description: string,
    /**
     * Five-field cron expressions or presets (`@hourly`, `@daily`, `@weekly`, `@monthly`,
     * `@yearly`), several joined by `;`, read in the DAG's time zone; `@every <duration>`
     * (`@every 90m`); `@continuous`; or `@once`. None means runs are only triggered by
     * hand.
     */
    schedule?: string,
    /**
     * First logical date the schedule covers: RFC 3339 (`2024-01-01T00:00:00Z`) or a date
     * (`2024-01-01`, midnight UTC), optionally followed by the DAG's time zone in brackets
     * (`2024-01-01[Europe/Berlin]`). Required when there is a schedule.
     */
    startDate?: string,
    /**
     * Create runs for every missed interval since `start-date` (Airflow's catchup).
     */
    catchup: boolean,
    /**
     * Most runs of this DAG active at once; none means the host's default.
     */
    maxActiveRuns?: number,
    /**
     * Most task instances of this DAG running at once; none means the host's default.
     */
    maxActiveTasks?: number,
    /**
     * Longest a run may last from its start, in milliseconds (Airflow's `dagrun_timeout`):
     * past it the run fails, its running and queued tasks fail and the tasks not yet
     * started are skipped. None means no limit.
     */
    dagrunTimeoutMs?: bigint,
    /**
     * Labels shown to users and usable as filters.
     */
    tags: Array<string>,
    /**
     * Settings every task inherits unless it overrides them.
     */
    defaults: TaskSettings,
    /**
     * The tasks, in any order.
     */
    tasks: Array<TaskSpec>,
    /**
     * Who is told when a run ends.
     * 
     * @since 0.3.0
     */
    notifications: RunNotifications,
    /**
     * Last logical date the schedule covers, written as `start-date` is (a date without a
     * zone is midnight in the DAG's zone); none means no end.
     * 
     * @since 0.5.0
     */
    endDate?: string,
    /**
     * Assets (URIs) whose updates start runs: a run starts once every one of them has had
     * an event since the last run they started. The events are in that run's conf, under
     * `triggering_asset_events`. With a `schedule` too, runs come from both.
     * 
     * @since 0.5.0
     */
    assets: Array<string>,
  }
  /**
   * Which run and attempt a task call belongs to.
   */
  export interface TaskContext {
    /**
     * The DAG's id.
     */
    dagId: string,
    /**
     * The task being run.
     */
    taskId: string,
    /**
     * The DAG run's id, unique within the DAG.
     */
    runId: string,
    /**
     * Logical date of the run (RFC 3339).
     */
    logicalDate: string,
    /**
     * Start of the run's data interval (RFC 3339).
     */
    dataIntervalStart: string,
    /**
     * End of the run's data interval (RFC 3339).
     */
    dataIntervalEnd: string,
    /**
     * Attempt number of this task instance, starting at 1.
     */
    tryNumber: number,
    /**
     * Number of attempts the task may have in all (retries + 1).
     */
    maxTries: number,
    /**
     * The run's configuration as a JSON document (`{}` when none was given).
     */
    conf: string,
    /**
     * The instance's map index when the task is mapped (from 0), else none.
     * 
     * @since 0.3.0
     */
    mapIndex?: number,
    /**
     * The instance's item when the task is mapped (JSON), else none.
     * 
     * @since 0.3.0
     */
    mapItem?: Uint8Array,
    /**
     * When the task was deferred and the awaited event happened: what happened, as a
     * JSON document (`{"dag_id": ..., "run_id": ..., "task_id": ..., "state": ...}` for
     * an external wait, `{"at": ...}` for a time); else none.
     * 
     * @since 0.3.0
     */
    event?: string,
  }
  /**
   * The output of one direct upstream task, handed to `run-task`.
   */
  export interface UpstreamOutput {
    /**
     * The upstream task's id.
     */
    taskId: string,
    /**
     * What that task returned.
     */
    value: Uint8Array,
  }
  /**
   * A task's wait for an event, and what follows it.
   * 
   * @since 0.3.0
   */
  export interface Deferral {
    /**
     * What to wait for.
     */
    until: WaitCondition,
    /**
     * Run the task again when the event happens, with `task-context.event` set; when
     * false, the task ends as the event says (success, or failure for a failed state)
     * without running again.
     */
    resume: boolean,
  }
  /**
   * Why a task attempt did not succeed.
   */
  export type TaskError = TaskErrorRetryable | TaskErrorPermanent | TaskErrorSkip | TaskErrorReschedule | TaskErrorDefer;
  /**
   * A failure worth another attempt, if retries remain (a network error, say).
   */
  export interface TaskErrorRetryable {
    tag: 'retryable',
    val: string,
  }
  /**
   * A failure no retry can mend (bad input, say): the task fails at once.
   */
  export interface TaskErrorPermanent {
    tag: 'permanent',
    val: string,
  }
  /**
   * The task decided not to run (Airflow's AirflowSkipException): its state is skipped.
   */
  export interface TaskErrorSkip {
    tag: 'skip',
    val: string,
  }
  /**
   * Not yet: a sensor gives its worker slot back and pokes again after the given
   * number of milliseconds, or after its `sensor.poke-interval-ms` when none (Airflow's
   * reschedule mode). The state is `up_for_reschedule`; the try number does not grow.
   * 
   * @since 0.3.0
   */
  export interface TaskErrorReschedule {
    tag: 'reschedule',
    val: bigint | undefined,
  }
  /**
   * Wait without running until `deferral.until` holds, holding no worker slot (Airflow's
   * deferrable operators). The state is `deferred`.
   * 
   * @since 0.3.0
   */
  export interface TaskErrorDefer {
    tag: 'defer',
    val: Deferral,
  }
  /**
   * Where a task attempt runs.
   */
  export interface WorkerInfo {
    /**
     * Id of the worker process.
     */
    workerId: string,
    /**
     * Host name of the machine the worker runs on.
     */
    hostname: string,
    /**
     * The queue the task was taken from.
     */
    queue: string,
  }
  /**
   * A connection to an outside system (Airflow's connection), as a task reads it.
   */
  export interface Connection {
    /**
     * The connection's id.
     */
    connId: string,
    /**
     * What it connects to: `postgres`, `s3`, `http`, `smtp`, ...
     */
    connType: string,
    /**
     * Host name or address.
     */
    host?: string,
    /**
     * Port.
     */
    port?: number,
    /**
     * Database, bucket or path, as the type means it.
     */
    schema?: string,
    /**
     * User name or access key.
     */
    login?: string,
    /**
     * Password or secret key.
     */
    password?: string,
    /**
     * Further settings, as a JSON object (`{}` when none).
     */
    extra: string,
  }
  /**
   * Why a connection or secret could not be read.
   */
  export type AccessError = AccessErrorNotDeclared | AccessErrorNotFound | AccessErrorUnavailable;
  /**
   * The task's DAG does not declare this connection or secret for the task.
   */
  export interface AccessErrorNotDeclared {
    tag: 'not-declared',
    val: string,
  }
  /**
   * No connection or secret of that name exists.
   */
  export interface AccessErrorNotFound {
    tag: 'not-found',
    val: string,
  }
  /**
   * The store behind it could not be reached in time.
   */
  export interface AccessErrorUnavailable {
    tag: 'unavailable',
    val: string,
  }
  /**
   * Why an XCom call failed.
   */
  export type XcomError = XcomErrorNotUpstream | XcomErrorInvalidKey | XcomErrorTooLarge | XcomErrorUnavailable;
  /**
   * The task named is not upstream of the calling task, so its value cannot be relied on.
   */
  export interface XcomErrorNotUpstream {
    tag: 'not-upstream',
    val: string,
  }
  /**
   * The key is empty, too long or uses characters other than letters, digits, `_`, `-`, `.`.
   */
  export interface XcomErrorInvalidKey {
    tag: 'invalid-key',
    val: string,
  }
  /**
   * The value is larger than the host allows; the limit in bytes is given.
   */
  export interface XcomErrorTooLarge {
    tag: 'too-large',
    val: bigint,
  }
  /**
   * The store behind XCom could not be reached in time.
   */
  export interface XcomErrorUnavailable {
    tag: 'unavailable',
    val: string,
  }
}
