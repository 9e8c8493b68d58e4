//! The PostgreSQL store's own statements: each a whole string over `UNNEST`ed arrays (one
//! array per column), whatever the batch's size. Some repeat another statement as one of
//! their parts (a scheduler's step is a finish, a queue update and run state changes in one
//! statement); a test checks that the copies agree.
//!
//! A state that a batch's rows must be in is checked as `CASE WHEN t.state ... THEN TRUE END`,
//! not as a plain condition: the planner would take that for a way into the partial index on
//! `state`, which the statistics, sampled when few task instances are active, put at one row.
//! A plan made then walks every active task instance and, for each, reads the batch's arrays
//! again and compares every row of the batch (128 active × a batch of 50 is 128 readings and
//! 6,400 comparisons, about 8 ms of a step under a flood), instead of looking each of the
//! batch's rows up by key. A state compared with a column of the batch (the queue update's
//! `seen_state`) cannot lead into that index and stays a plain condition.
//!
//! Lists of states by class come from the model's table, joined in by `sql!` (see
//! `both_backends::state_sql`).

use crate::both_backends::sql_text::sql;
use crate::both_backends::state_sql::{RUN_ACTIVE, TASK_BACKLOG, TASK_IN_FLIGHT};
use crate::both_backends::ti_columns::{ATTEMPT, INSERTED, SET, TRY, each, finished};

/// What queuing an attempt sets (from `v`, the row of its instance): the next lease, the try
/// it starts, and a new try's columns forgotten; [`QUEUE`] and [`STEP`]'s part `q` share it.
const QUEUED: &str = sql!(
    "state = 'queued', lease = t.lease + 1, try_number = v.new_try, queued_at = v.at, ",
    each!(ATTEMPT, &[], "{c} = NULL"),
    ", ",
    each!(
        TRY,
        &[],
        "{c} = CASE WHEN v.new_try = t.try_number THEN t.{c} END"
    ),
    ", pokes = CASE WHEN v.new_try = t.try_number THEN t.pokes ELSE 0 END ",
);

/// The fenced queue update (`$1`-`$5`); [`STEP`] runs the same update as its part `q`.
pub(super) const QUEUE: &str = sql!(
    "UPDATE task_instances t SET ",
    QUEUED,
    "FROM UNNEST($1::bigint[], $2::bigint[], $3::text[], $4::bigint[], $5::bigint[]) \
     AS v (ti, seen_lease, seen_state, new_try, at) \
     WHERE t.id = v.ti AND t.lease = v.seen_lease AND t.state = v.seen_state \
     RETURNING t.id, t.run, t.task_id, t.try_number"
);

/// A new run (`$1`-`$15`, the shared [`INSERT_RUN`](crate::both_backends::sql::INSERT_RUN) as its
/// part `r`) and its task instances (`$16`-`$20`), in one statement: a row per task instance
/// (`run`, `id`, `task_id`); none when the run was not inserted, and one with no task
/// instance for a run without tasks.
pub(super) const INSERT_RUN_AND_TASKS: &str = sql!(
    "WITH r AS (INSERT INTO dag_runs (tenant, dag_id, run_id, \
     run_type, logical_date, data_interval_start, data_interval_end, conf, digest, state, \
     queued_at, started_at, ended_at) \
     SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13 \
     WHERE EXISTS (SELECT 1 FROM dag_versions WHERE tenant = $1 AND dag_id = $2 AND digest = $9) \
     AND ($15 = 0 OR EXISTS (SELECT 1 FROM dags WHERE tenant = $1 AND dag_id = $2 AND digest = $9)) \
     AND NOT EXISTS (SELECT 1 FROM tenants q WHERE q.name = $1 AND $14 > 0 \
     AND q.max_queued_tasks IS NOT NULL AND q.max_queued_tasks < $14 + (SELECT count(*) \
     FROM task_instances b JOIN dag_runs w ON w.id = b.run WHERE w.tenant = $1 \
     AND w.state IN ",
    RUN_ACTIVE,
    " AND b.state IN ",
    TASK_BACKLOG,
    ")) \
     RETURNING id), \
     t AS (INSERT INTO task_instances (",
    INSERTED,
    ") \
     SELECT r.id, $1, $2, v.task_id, 'none', 0, v.max_tries, v.queue, v.pool, v.priority_weight, 0 \
     FROM r, UNNEST($16::text[], $17::bigint[], $18::text[], $19::text[], $20::bigint[]) \
     AS v (task_id, max_tries, queue, pool, priority_weight) RETURNING run, id, task_id) \
     SELECT r.id AS run, t.id, t.task_id FROM r LEFT JOIN t ON t.run = r.id"
);

/// A mapped task's instances (`$1` the mapped task's task instance, `$2`-`$4` each
/// instance's task id, map index and item), with the mapped task's settings.
pub(super) const INSERT_INSTANCES: &str = sql!(
    "INSERT INTO task_instances (",
    INSERTED,
    ", map_index, \
     map_item) SELECT p.run, p.tenant, p.dag_id, v.task_id, 'none', 0, p.max_tries, p.queue, \
     p.pool, p.priority_weight, 0, v.map_index, v.map_item FROM task_instances p, \
     UNNEST($2::text[], $3::bigint[], $4::text[]) AS v (task_id, map_index, map_item) \
     WHERE p.id = $1"
);

/// The fenced start (`$1`-`$6`).
pub(super) const START: &str = "UPDATE task_instances t SET state = 'running', worker_id = v.worker, hostname = v.host, \
     started_at = v.at, lease_expires_at = v.expires \
     FROM UNNEST($1::bigint[], $2::bigint[], $3::text[], $4::text[], $5::bigint[], $6::bigint[]) \
     AS v (ti, seen_lease, worker, host, at, expires) \
     WHERE t.id = v.ti AND t.lease = v.seen_lease AND CASE WHEN t.state = 'queued' THEN TRUE END \
     RETURNING t.id";

/// The fenced heartbeat (`$1`-`$3`).
pub(super) const HEARTBEAT: &str = "UPDATE task_instances t SET lease_expires_at = v.expires \
     FROM UNNEST($1::bigint[], $2::bigint[], $3::bigint[]) AS v (ti, seen_lease, expires) \
     WHERE t.id = v.ti AND t.lease = v.seen_lease AND CASE WHEN t.state = 'running' THEN TRUE END \
     RETURNING t.id";

/// The unfenced state changes (`$1`-`$7`).
pub(super) const SET_TASKS: &str = sql!(
    "UPDATE task_instances t SET state = v.new_state, \
     max_tries = COALESCE(v.tries, t.max_tries), lease = t.lease + v.bump, \
     lease_expires_at = CASE WHEN v.new_state = 'running' THEN t.lease_expires_at END, \
     queued_at = CASE WHEN v.clearing THEN NULL ELSE t.queued_at END, \
     ended_at = CASE WHEN v.clearing THEN NULL WHEN v.finishing THEN v.at ELSE t.ended_at END, ",
    each!(
        ATTEMPT,
        &["lease_expires_at", "ended_at"],
        "{c} = CASE WHEN v.clearing THEN NULL ELSE t.{c} END"
    ),
    ", ",
    each!(
        TRY,
        &[],
        "{c} = CASE WHEN v.clearing THEN NULL ELSE t.{c} END"
    ),
    ", pokes = CASE WHEN v.clearing THEN 0 ELSE t.pokes END \
     FROM UNNEST($1::bigint[], $2::text[], $3::bigint[], $4::bigint[], $5::bigint[], $6::boolean[], $7::boolean[]) \
     AS v (ti, new_state, at, tries, bump, clearing, finishing) WHERE t.id = v.ti"
);

/// The fenced finish with the applied finishes' XCom values and logs, as the common table
/// expressions `f` (the finishes applied), `x` and `l`: `$1`-`$4` the task instance, its
/// lease, its new state and when; `$5`-`$7` XCom values (task instance, key, value); `$8`-`$9`
/// logs (task instance, log); from `$first` on, the columns an attempt's end sets
/// ([`FINISHED`](crate::both_backends::ti_columns::FINISHED), in order). [`FINISH_WITH_VALUES`] and
/// [`STEP`] begin with it.
macro_rules! finish_ctes {
    ($first:expr) => {
        sql!(
            "WITH f AS (UPDATE task_instances t SET state = v.new_state, ended_at = v.at, \
             lease_expires_at = NULL, ",
            finished!(SET, "t", 0),
            " FROM UNNEST($1::bigint[], $2::bigint[], $3::text[], $4::bigint[], ",
            finished!("${n}::{y}[]", "", $first),
            ") AS v (ti, seen_lease, new_state, at, ",
            finished!("{c}", "", 0),
            ") WHERE t.id = v.ti AND t.lease = v.seen_lease \
             AND CASE WHEN t.state IN ",
            TASK_IN_FLIGHT,
            " THEN TRUE END \
             RETURNING t.id, t.run, t.task_id, t.try_number, t.lease), \
             x AS (INSERT INTO xcom (run, task_id, key, value) \
             SELECT f.run, f.task_id, xv.key, xv.value FROM f \
             JOIN UNNEST($5::bigint[], $6::text[], $7::bytea[]) AS xv (ti, key, value) ON xv.ti = f.id \
             ON CONFLICT (run, task_id, key) DO UPDATE SET value = excluded.value), \
             l AS (INSERT INTO task_logs (ti, try_number, lease, log, live) \
             SELECT f.id, f.try_number, f.lease, lv.log, FALSE FROM f \
             JOIN UNNEST($8::bigint[], $9::bytea[]) AS lv (ti, log) ON lv.ti = f.id \
             ON CONFLICT (ti, try_number) DO UPDATE SET log = excluded.log, lease = excluded.lease, \
             live = FALSE)"
        )
    };
}

/// The first parameter of the columns an attempt's end sets in [`FINISH_WITH_VALUES`].
pub(super) const FINISH_COLUMNS_FROM: usize = 10;

/// The fenced finish with its values ([`finish_ctes!`]), the columns it sets from `$10`.
pub(super) const FINISH_WITH_VALUES: &str = sql!(
    finish_ctes!(FINISH_COLUMNS_FROM),
    " SELECT id, run, task_id, try_number FROM f"
);

/// The first parameter of the columns an attempt's end sets in [`STEP`].
pub(super) const STEP_FINISH_COLUMNS_FROM: usize = 24;

/// A scheduler's step in one statement: the finish with its values (`f`, `x`, `l`, as in
/// [`FINISH_WITH_VALUES`], the columns it sets from `$24`), the queue update `q`
/// (`$10`-`$14`, as in [`QUEUE`]) of other task instances, and the run state changes `s`
/// (`$15`-`$19`: run, state, at, whether running, whether finished; the columns set as
/// [`SET_RUN`](crate::both_backends::sql::SET_RUN) sets them) of distinct runs. Each row returned is
/// a finish or a queue op applied, and says which. Last, the guard (`$20`-`$22`: the leader
/// fence's lease, holder and epoch; `$23`: how many finishes must apply), which returns no
/// row: it raises, rolling every change back, when the fence no longer holds or fewer
/// finishes applied (see `weft_step_guard`); NULLs skip its checks. So a fenced step needs no
/// transaction of its own: autocommitted, it is one round trip.
pub(super) const STEP: &str = sql!(
    finish_ctes!(STEP_FINISH_COLUMNS_FROM),
    ", q AS (UPDATE task_instances t SET ",
    QUEUED,
    "FROM UNNEST($10::bigint[], $11::bigint[], $12::text[], $13::bigint[], $14::bigint[]) \
     AS v (ti, seen_lease, seen_state, new_try, at) \
     WHERE t.id = v.ti AND t.lease = v.seen_lease AND t.state = v.seen_state \
     RETURNING t.id, t.run, t.task_id, t.try_number), \
     s AS (UPDATE dag_runs d SET state = v.state, \
     started_at = CASE WHEN v.running THEN COALESCE(d.started_at, v.at) \
     WHEN v.state = 'queued' THEN NULL ELSE d.started_at END, \
     ended_at = CASE WHEN v.finished THEN v.at ELSE NULL END \
     FROM UNNEST($15::bigint[], $16::text[], $17::bigint[], $18::boolean[], $19::boolean[]) \
     AS v (run, state, at, running, finished) WHERE d.id = v.run) \
     SELECT true AS finished, id, run, task_id, try_number FROM f \
     UNION ALL SELECT false, id, run, task_id, try_number FROM q \
     UNION ALL SELECT true, 0, 0, '', 0 \
     WHERE weft_step_guard($20, $21, $22, (SELECT array_agg(id) FROM f), $23) < 0"
);

/// Every XCom value of the `(run, task_id)`s (`$1`-`$2`).
pub(super) const DELETE_XCOMS: &str = "DELETE FROM xcom x USING UNNEST($1::bigint[], $2::text[]) AS v (run, task_id) \
     WHERE x.run = v.run AND x.task_id = v.task_id";
/// XCom values to insert or replace (`$1`-`$4`).
pub(super) const PUT_XCOMS: &str = "INSERT INTO xcom (run, task_id, key, value) \
     SELECT * FROM UNNEST($1::bigint[], $2::text[], $3::text[], $4::bytea[]) \
     ON CONFLICT (run, task_id, key) DO UPDATE SET value = excluded.value";
/// Final logs to insert or replace (`$1`-`$4`: ti, try, lease, log).
pub(super) const PUT_LOGS: &str = "INSERT INTO task_logs (ti, try_number, lease, log, live) \
     SELECT *, FALSE FROM UNNEST($1::bigint[], $2::bigint[], $3::bigint[], $4::bytea[]) \
     ON CONFLICT (ti, try_number) DO UPDATE SET log = excluded.log, lease = excluded.lease, \
     live = FALSE";

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn statements_that_repeat_others_repeat_them_exactly() {
        use crate::both_backends::sql::{INSERT_RUN, set_run_columns_from_rows};

        assert!(INSERT_RUN_AND_TASKS.starts_with(&format!("WITH r AS ({INSERT_RUN}), t AS (")));
        // The finish, its columns' arrays from $24 instead of $10.
        let finish = FINISH_WITH_VALUES
            .strip_suffix(" SELECT id, run, task_id, try_number FROM f")
            .unwrap();
        let columns = crate::both_backends::ti_columns::FINISHED.len();
        let finish = (0..columns).rev().fold(finish.to_owned(), |sql, k| {
            sql.replace(
                &format!("${}::", FINISH_COLUMNS_FROM + k),
                &format!("${}::", STEP_FINISH_COLUMNS_FROM + k),
            )
        });
        assert!(STEP.starts_with(&format!("{finish}, q AS (")), "{STEP}");
        // The parameters are numbered without a gap.
        let has = |sql: &str, n: usize| {
            ["::", ",", ")"]
                .iter()
                .any(|end| sql.contains(&format!("${n}{end}")))
        };
        for (sql, params) in [
            (STEP, STEP_FINISH_COLUMNS_FROM + columns - 1),
            (FINISH_WITH_VALUES, FINISH_COLUMNS_FROM + columns - 1),
        ] {
            assert!((1..=params).all(|n| has(sql, n)), "{sql}");
            assert!(!has(sql, params + 1), "{sql}");
        }
        // The queue update with its arrays at $10-$14.
        let queue = (1..=5).rev().fold(QUEUE.to_owned(), |sql, n| {
            sql.replace(&format!("${n}::"), &format!("${}::", n + 9))
        });
        assert!(
            STEP.contains(&format!(", q AS ({queue}), s AS (")),
            "{STEP}"
        );
        // The run columns as the shared SET_RUN sets them, from the unnested arrays.
        let columns = set_run_columns_from_rows().replace("dag_runs.", "d.");
        assert!(!columns.is_empty());
        assert!(STEP.contains(&format!(
            "s AS (UPDATE dag_runs d SET {columns} FROM UNNEST("
        )));
    }
}
