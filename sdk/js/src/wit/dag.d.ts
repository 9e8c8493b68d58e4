/// <reference path="./interfaces/wasi-clocks-monotonic-clock.d.ts" />
/// <reference path="./interfaces/wasi-http-outgoing-handler.d.ts" />
/// <reference path="./interfaces/wasi-http-types.d.ts" />
/// <reference path="./interfaces/wasi-io-error.d.ts" />
/// <reference path="./interfaces/wasi-io-poll.d.ts" />
/// <reference path="./interfaces/wasi-io-streams.d.ts" />
/// <reference path="./interfaces/weft-dag-assets.d.ts" />
/// <reference path="./interfaces/weft-dag-connections.d.ts" />
/// <reference path="./interfaces/weft-dag-dag-runs.d.ts" />
/// <reference path="./interfaces/weft-dag-log.d.ts" />
/// <reference path="./interfaces/weft-dag-objects.d.ts" />
/// <reference path="./interfaces/weft-dag-run-state.d.ts" />
/// <reference path="./interfaces/weft-dag-runtime.d.ts" />
/// <reference path="./interfaces/weft-dag-secrets.d.ts" />
/// <reference path="./interfaces/weft-dag-sql.d.ts" />
/// <reference path="./interfaces/weft-dag-types.d.ts" />
/// <reference path="./interfaces/weft-dag-variables.d.ts" />
/// <reference path="./interfaces/weft-dag-xcom.d.ts" />
declare module 'weft:dag/dag@0.6.0' {
  export type DagSpec = import('weft:dag/types@0.6.0').DagSpec;
  export type TaskContext = import('weft:dag/types@0.6.0').TaskContext;
  export type UpstreamOutput = import('weft:dag/types@0.6.0').UpstreamOutput;
  export type TaskError = import('weft:dag/types@0.6.0').TaskError;
  export type * as WasiClocksMonotonicClock0212 from 'wasi:clocks/monotonic-clock@0.2.12'; // import wasi:clocks/monotonic-clock@0.2.12
  export type * as WasiHttpOutgoingHandler0212 from 'wasi:http/outgoing-handler@0.2.12'; // import wasi:http/outgoing-handler@0.2.12
  export type * as WasiHttpTypes0212 from 'wasi:http/types@0.2.12'; // import wasi:http/types@0.2.12
  export type * as WasiIoError0212 from 'wasi:io/error@0.2.12'; // import wasi:io/error@0.2.12
  export type * as WasiIoPoll0212 from 'wasi:io/poll@0.2.12'; // import wasi:io/poll@0.2.12
  export type * as WasiIoStreams0212 from 'wasi:io/streams@0.2.12'; // import wasi:io/streams@0.2.12
  export type * as WeftDagAssets060 from 'weft:dag/assets@0.6.0'; // import weft:dag/assets@0.6.0
  export type * as WeftDagConnections060 from 'weft:dag/connections@0.6.0'; // import weft:dag/connections@0.6.0
  export type * as WeftDagDagRuns060 from 'weft:dag/dag-runs@0.6.0'; // import weft:dag/dag-runs@0.6.0
  export type * as WeftDagLog060 from 'weft:dag/log@0.6.0'; // import weft:dag/log@0.6.0
  export type * as WeftDagObjects060 from 'weft:dag/objects@0.6.0'; // import weft:dag/objects@0.6.0
  export type * as WeftDagRunState060 from 'weft:dag/run-state@0.6.0'; // import weft:dag/run-state@0.6.0
  export type * as WeftDagRuntime060 from 'weft:dag/runtime@0.6.0'; // import weft:dag/runtime@0.6.0
  export type * as WeftDagSecrets060 from 'weft:dag/secrets@0.6.0'; // import weft:dag/secrets@0.6.0
  export type * as WeftDagSql060 from 'weft:dag/sql@0.6.0'; // import weft:dag/sql@0.6.0
  export type * as WeftDagTypes060 from 'weft:dag/types@0.6.0'; // import weft:dag/types@0.6.0
  export type * as WeftDagVariables060 from 'weft:dag/variables@0.6.0'; // import weft:dag/variables@0.6.0
  export type * as WeftDagXcom060 from 'weft:dag/xcom@0.6.0'; // import weft:dag/xcom@0.6.0
  /**
  * The DAG's structure. Must not depend on anything but the component's own code: it is
  * called once per component, at deploy time, with no context.
  */
  export function describe(): DagSpec;
  /**
  * Run one attempt of task `ctx.task-id`. `upstream` holds the outputs of its direct
  * upstream tasks that produced one. Returns the task's output, which downstream tasks
  * receive in `upstream`, or read with `xcom.pull` and no key.
  */
  export function runTask(ctx: TaskContext, upstream: Array<UpstreamOutput>): Uint8Array;
  export type Result<T, E> = { tag: 'ok', val: T } | { tag: 'err', val: E };
}
