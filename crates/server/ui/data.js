// Data shared by several pages: the grid's runs (from the grid route, or put together
// from the runs list and each run when the server has no grid route), and task ordering.

import { ApiError, get, seg } from './api.js';

let gridRoute = true; // set false once the server says it has no grid route
const detailCache = new Map(); // `${dag}\n${run}` -> {stamp, detail}

function stamp(r) {
  return `${r.state}|${r.started_at || ''}|${r.ended_at || ''}`;
}

/**
 * The newest `limit` runs of a DAG with their task instances, newest logical date first.
 * @param {string} dagId
 * @param {number} limit
 * @param {AbortSignal} [signal]
 * @returns {Promise<Object[]>} RunDetail objects
 */
export async function gridRuns(dagId, limit, signal) {
  if (gridRoute) {
    try {
      const r = await get(`/dags/${seg(dagId)}/grid?limit=${limit}`, { signal });
      return r.runs;
    } catch (e) {
      if (!(e instanceof ApiError && e.noRoute)) throw e;
      gridRoute = false;
    }
  }
  const list = await get(`/dags/${seg(dagId)}/runs?limit=${limit}`, { signal });
  return Promise.all(
    list.runs.map(async (r) => {
      const key = `${dagId}\n${r.run_id}`;
      const cached = detailCache.get(key);
      // A finished run that has not changed since it was fetched needs no new request.
      if (cached && cached.stamp === stamp(r) && (r.state === 'success' || r.state === 'failed')) {
        return cached.detail;
      }
      const detail = await get(`/dags/${seg(dagId)}/runs/${seg(r.run_id)}`, { signal });
      detailCache.set(key, { stamp: stamp(detail), detail });
      return detail;
    }),
  );
}

/** One run with its task instances. */
export function runDetail(dagId, runId, signal) {
  return get(`/dags/${seg(dagId)}/runs/${seg(runId)}`, { signal });
}

/**
 * Task ids in topological order: the DAG's current tasks (already upstream first), then
 * any task only older runs have.
 * @param {Object} dag DagDetail
 * @param {Object[]} runs RunDetail[]
 */
export function taskOrder(dag, runs) {
  const ids = (dag.tasks || []).map((t) => t.task_id);
  const known = new Set(ids);
  for (const r of runs || []) {
    for (const ti of r.task_instances || []) {
      if (!known.has(ti.task_id)) {
        known.add(ti.task_id);
        ids.push(ti.task_id);
      }
    }
  }
  return ids;
}

/** Index a run's task instances: task_id -> the task's own instance (no map index). */
export function tiByTask(run) {
  const m = new Map();
  for (const ti of run.task_instances || []) {
    if (ti.map_index === null || ti.map_index === undefined) m.set(ti.task_id, ti);
  }
  return m;
}

/** The mapped instances of a task in a run, by map index. */
export function mappedInstances(run, taskId) {
  return (run.task_instances || [])
    .filter((ti) => ti.task_id === taskId && ti.map_index !== null && ti.map_index !== undefined)
    .sort((a, b) => a.map_index - b.map_index);
}

/** Find one task instance of a run. */
export function findTi(run, taskId, mapIndex) {
  return (run.task_instances || []).find(
    (ti) => ti.task_id === taskId && (mapIndex === null || mapIndex === undefined ? ti.map_index == null : ti.map_index === mapIndex),
  );
}
