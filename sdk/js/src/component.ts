/**
 * The component's side of the seam: `Host` over the WIT imports (each capability module's
 * guest calls, handed the world's imports, see `capability.ts`), and the `dag` world's
 * exports built from the project's `Dag`. Only loadable inside a component, where
 * componentize-js provides the `weft:dag/*` and `wasi:*` modules; `wfctl build` writes the
 * entry module that calls `exportDag`:
 *
 * ```js
 * import * as app from "./src/app.ts";
 * import { exportDag } from "@weft/sdk/component";
 * const world = exportDag(app, "src/app.ts");
 * export function describe() { return world.describe(); }
 * export function runTask(ctx, upstream) { return world.runTask(ctx, upstream); }
 * ```
 *
 * The DAG is checked (`dag.spec()`) when the component is built, as the module's top level
 * runs then: a cycle or a bad setting fails the build.
 *
 * @module
 */

import type { TaskContext, TaskError as TaskErrorRecord, UpstreamOutput } from "weft:dag/types@0.6.0";

import { guestHost } from "./capability.js";
import { findDag } from "./dag.js";
import { dagSpecRecord, failureRecord } from "./records.js";
import "./wit/capabilities.js";
import * as wit from "./wit/imports.js";

/** What the component exports: the `dag` world's `describe` and `run-task`. */
export interface DagExports {
  describe(): unknown;
  runTask(ctx: TaskContext, upstream: UpstreamOutput[]): Promise<{ tag: "ok"; val: Uint8Array } | { tag: "err"; val: TaskErrorRecord }>;
}

/**
 * The world's exports for the `Dag` that `app` (the project's entry module) exports. The DAG
 * is described, and so checked, now: at build time, when the module's top level runs.
 */
export function exportDag(app: Record<string, unknown>, entry = "the entry module"): DagExports {
  const dag = findDag(app, entry);
  const described = dagSpecRecord(dag.spec());
  const host = guestHost(wit);
  return {
    describe: () => described,
    async runTask(ctx, upstream) {
      const outputs = new Map(upstream.map((u) => [u.taskId, u.value] as const));
      try {
        return { tag: "ok", val: await dag.runTask(host, ctx, outputs) };
      } catch (error) {
        return { tag: "err", val: failureRecord(error) };
      }
    },
  };
}
