/**
 * The dag-runs capability: a task starts a run of another DAG of its tenant (Airflow's
 * `TriggerDagRunOperator`).
 *
 * `ctx.triggerDag(dagId, options)`, over the host call `trigger`; `FakeHost` records each
 * run in `triggered` and names it `triggered__N` when the task gives no run id.
 *
 * @module
 */

import type { TriggerError as TriggerErrorRecord } from "weft:dag/dag-runs@0.6.0";

import { defineCapability, host, payload } from "../capability.js";
import { TriggerError } from "../errors.js";
import { encodeText } from "../json.js";
import { caseName } from "../records.js";

/** How `ctx.triggerDag` starts a run. */
export interface TriggerOptions {
  /** The run's configuration, a JSON object. */
  conf?: Record<string, unknown>;
  /** The run's logical date, RFC 3339 or a `Date`; none means now. */
  logicalDate?: string | Date;
  /**
   * The run's id; none means one made from this task instance and the call, so that a retried
   * attempt gets back the run its earlier attempt made, not a second one.
   */
  runId?: string;
}

/** A run of another DAG to create, as the host call takes it. */
export interface TriggerRequest {
  dagId: string;
  /** The run's configuration, a JSON object's text; none means `{}`. */
  conf?: string;
  logicalDate?: string;
  runId?: string;
}

declare module "../context.js" {
  interface Context {
    /** Start a run of DAG `dagId` of the same tenant (Airflow's `TriggerDagRunOperator`); its run id. */
    triggerDag(dagId: string, options?: TriggerOptions): string;
  }
}

declare module "../host.js" {
  interface Host {
    /** Create a run of another DAG of the same tenant; its run id. */
    trigger(request: TriggerRequest): string;
  }
}

declare module "../testing.js" {
  interface FakeHost {
    /** The runs the task triggered. */
    readonly triggered: Array<{ dagId: string; conf: unknown; logicalDate?: string; runId: string }>;
  }
}

defineCapability({
  name: "dag-runs",
  context: {
    triggerDag(dagId: string, options: TriggerOptions = {}): string {
      const logicalDate = options.logicalDate instanceof Date ? options.logicalDate.toISOString() : options.logicalDate;
      return host(this).trigger({
        dagId,
        conf: options.conf === undefined ? undefined : encodeText(options.conf, "the triggered run's conf"),
        logicalDate,
        runId: options.runId,
      });
    },
  },
  guest: (wit) => ({
    trigger(request) {
      try {
        return wit.dagRuns.trigger(request);
      } catch (error) {
        // Retryable only when the control plane could not be reached.
        const reason = payload<TriggerErrorRecord>(error);
        const name = caseName(reason.tag);
        const kind = reason.tag === "unavailable" ? "retryable" : "permanent";
        throw new TriggerError(`triggering DAG \`${request.dagId}\` failed: ${name}: ${reason.val}`, { kind, case: name });
      }
    },
  }),
  fake: (fake) => {
    const triggered: Array<{ dagId: string; conf: unknown; logicalDate?: string; runId: string }> = [];
    Object.assign(fake, { triggered });
    return {
      trigger(request) {
        if (request.dagId === "") {
          throw new TriggerError("triggering DAG `` failed: Invalid", { kind: "permanent", case: "Invalid" });
        }
        const runId = request.runId ?? `triggered__${triggered.length + 1}`;
        triggered.push({
          dagId: request.dagId,
          conf: request.conf === undefined ? undefined : JSON.parse(request.conf),
          logicalDate: request.logicalDate,
          runId,
        });
        return runId;
      },
    };
  },
});
