/*
 * weft.h: writing a Weft DAG in C. Header-only, over the bindings of Weft's WIT world that
 * `wfctl build` generates (dag.h, from wit-bindgen's C generator) and weft_json.h.
 *
 *   #include "weft.h"
 *
 *   WEFT_DESCRIBE(dag) {
 *       weft_dag_init(dag, "hello_c", "Greets someone");
 *       weft_dag_schedule(dag, "@daily", "2024-01-01");
 *       weft_add_task(dag, "t1", NULL);
 *       weft_task_retries(weft_add_task(dag, "t2", "t1", NULL), 2, 1000);
 *   }
 *
 *   static bool t1(weft_task *task) {
 *       char *name = weft_conf_string(task, "name", "world");
 *       if (name == NULL) return weft_fail(task, "conf field `name` is %s", weft_last_json_error(task));
 *       weft_info("hello, %s", name);
 *       weft_json_object out = {0};
 *       weft_json_put_str(&out, "greeting", name);
 *       free(name);
 *       return weft_ok(task, &out);
 *   }
 *
 *   WEFT_TASKS({"t1", t1}, {"t2", t2});
 *
 * # Ownership
 * Everything this header puts in the DAG's description or a task's output is its own copy
 * (malloc'd), because the generated bindings free what an export returns. Strings it hands
 * back (weft_conf_string, weft_variable, ...) are malloc'd too: free them. The task's
 * context and upstream outputs are freed after the task function returns.
 *
 * # Layout
 * - Describing the DAG: weft_dag_*, weft_add_task, weft_task_* (retries, timeout, trigger
 *   rule, queue, connections, secrets, egress, worker labels, architecture, memory).
 * - Running tasks: WEFT_TASKS, weft_task, the conf and upstream readers, weft_ok.
 * - Failing: weft_fail (permanent), weft_retry, weft_skip.
 * - Host calls: weft_log and its levels, XCom, variables.
 */
#ifndef WEFT_H
#define WEFT_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dag.h"
#include "weft_json.h"

/* ---- describing the DAG ----------------------------------------------------------------- */

/* The function that describes the DAG: `WEFT_DESCRIBE(dag) { ... }` fills `dag`. */
#define WEFT_DESCRIBE(dag) void exports_dag_describe(dag_dag_spec_t *dag)

/* A malloc'd, NUL-terminated copy of `s`, or NULL when memory ran out. */
static inline char *weft_strdup_(const char *s) {
    size_t n = strlen(s) + 1;
    char *copy = malloc(n);
    if (copy != NULL) memcpy(copy, s, n);
    return copy;
}

/* A malloc'd copy of `s` as a WIT string. */
static inline void weft_str_dup_(dag_string_t *to, const char *s) {
    dag_string_dup(to, s != NULL ? s : "");
}

static inline void weft_option_str_(dag_option_string_t *to, const char *s) {
    if (to->is_some) dag_string_free(&to->val);
    to->is_some = s != NULL;
    if (s != NULL) weft_str_dup_(&to->val, s);
}

/* Start the DAG `dag_id` with a description (NULL for none): every other field at its default. */
static inline void weft_dag_init(dag_dag_spec_t *dag, const char *dag_id, const char *description) {
    memset(dag, 0, sizeof *dag);
    weft_str_dup_(&dag->dag_id, dag_id);
    weft_str_dup_(&dag->description, description);
}

/* Its schedule (a cron expression or preset, see dag.wit) from `start_date`. */
static inline void weft_dag_schedule(dag_dag_spec_t *dag, const char *schedule, const char *start_date) {
    weft_option_str_(&dag->schedule, schedule);
    weft_option_str_(&dag->start_date, start_date);
}

/* `list` made the strings of `args` up to NULL, copied (what it held before is freed). */
static inline void weft_strings_(dag_list_string_t *list, va_list args) {
    va_list count;
    size_t n = 0;
    va_copy(count, args);
    while (va_arg(count, const char *) != NULL) n++;
    va_end(count);
    dag_list_string_free(list);
    list->len = 0;
    list->ptr = n ? calloc(n, sizeof(dag_string_t)) : NULL;
    if (n && list->ptr == NULL) abort();
    for (size_t i = 0; i < n; i++) weft_str_dup_(&list->ptr[i], va_arg(args, const char *));
    list->len = n;
}

/* Its tags: the strings given, then NULL. */
static inline void weft_dag_tags(dag_dag_spec_t *dag, ...) {
    va_list args;
    va_start(args, dag);
    weft_strings_(&dag->tags, args);
    va_end(args);
}

/*
 * Add task `task_id`, downstream of the tasks named after it (then NULL). The pointer it
 * returns, for the weft_task_* settings, is valid until the next weft_add_task.
 */
static inline weft_dag_types_task_spec_t *weft_add_task(dag_dag_spec_t *dag, const char *task_id, ...) {
    va_list args;
    weft_dag_types_task_spec_t *grown, *task;
    grown = realloc(dag->tasks.ptr, (dag->tasks.len + 1) * sizeof *grown);
    if (grown == NULL) abort();
    dag->tasks.ptr = grown;
    task = &grown[dag->tasks.len++];
    memset(task, 0, sizeof *task);
    weft_str_dup_(&task->task_id, task_id);
    va_start(args, task_id);
    weft_strings_(&task->upstream, args);
    va_end(args);
    return task;
}

/* Retries after a failure, `delay_ms` apart. */
static inline void weft_task_retries(weft_dag_types_task_spec_t *task, uint32_t retries, uint64_t delay_ms) {
    task->settings.retries = (dag_option_u32_t){true, retries};
    task->settings.retry_delay_ms = (dag_option_u64_t){true, delay_ms};
}

/* Longest an attempt may run, host calls included. */
static inline void weft_task_timeout(weft_dag_types_task_spec_t *task, uint64_t timeout_ms) {
    task->settings.execution_timeout_ms = (dag_option_u64_t){true, timeout_ms};
}

/* When the task may run, given its upstream tasks' states (WEFT_DAG_TYPES_TRIGGER_RULE_*). */
static inline void weft_task_trigger_rule(weft_dag_types_task_spec_t *task, weft_dag_types_trigger_rule_t rule) {
    task->trigger_rule = rule;
}

/* The queue the task is sent to. */
static inline void weft_task_queue(weft_dag_types_task_spec_t *task, const char *queue) {
    weft_option_str_(&task->settings.queue, queue);
}

/* The task's resources, made present (all empty) the first time. */
static inline weft_dag_types_resources_t *weft_task_resources_(weft_dag_types_task_spec_t *task) {
    if (!task->settings.resources.is_some) {
        memset(&task->settings.resources.val, 0, sizeof task->settings.resources.val);
        task->settings.resources.is_some = true;
    }
    return &task->settings.resources.val;
}

/* The connections the task reads (through the host: SQL, or weft_dag_connections_get), then
 * NULL. */
static inline void weft_task_connections(weft_dag_types_task_spec_t *task, ...) {
    va_list args;
    va_start(args, task);
    weft_strings_(&weft_task_resources_(task)->connections, args);
    va_end(args);
}

/* The secrets the task reads, then NULL. */
static inline void weft_task_secrets(weft_dag_types_task_spec_t *task, ...) {
    va_list args;
    va_start(args, task);
    weft_strings_(&weft_task_resources_(task)->secrets, args);
    va_end(args);
}

/* Where the task may send HTTP requests (`[METHODS ][SCHEME://]HOST[:PORT|:*]`), then NULL. */
static inline void weft_task_egress(weft_dag_types_task_spec_t *task, ...) {
    va_list args;
    va_start(args, task);
    weft_strings_(&weft_task_resources_(task)->egress_allowlist, args);
    va_end(args);
}

/* The labels the task's worker must have (`gpu`, `ssd`), then NULL. */
static inline void weft_task_worker_labels(weft_dag_types_task_spec_t *task, ...) {
    va_list args;
    va_start(args, task);
    weft_strings_(&weft_task_resources_(task)->worker_labels, args);
    va_end(args);
}

/* The architecture the task's worker must have (`x86_64`, `aarch64`). */
static inline void weft_task_arch(weft_dag_types_task_spec_t *task, const char *arch) {
    weft_option_str_(&weft_task_resources_(task)->arch, arch);
}

/* The task's linear memory limit, in bytes. */
static inline void weft_task_memory(weft_dag_types_task_spec_t *task, uint64_t bytes) {
    weft_task_resources_(task)->memory_bytes = (dag_option_u64_t){true, bytes};
}

/* ---- running tasks ---------------------------------------------------------------------- */

/* One attempt of a task: what it was given, and where its output or error goes. */
typedef struct weft_task {
    /* The run's facts (dag_id, run_id, logical_date, try_number, conf, ...). */
    dag_task_context_t *ctx;
    /* The outputs of the direct upstream tasks. */
    dag_list_upstream_output_t *upstream;
    /* Set by weft_ok. */
    dag_list_u8_t *output;
    /* Set by weft_fail, weft_retry and weft_skip. */
    dag_task_error_t *error;
    /* What the last weft_conf_* or weft_upstream_* lookup found. */
    weft_json_status json_status;
    /* Whether an error was set (by weft_fail, weft_retry or weft_skip). */
    bool error_set;
} weft_task;

/* A task's code: true with weft_ok's output, or false with an error set. */
typedef bool (*weft_task_fn)(weft_task *task);

/* A task id and its code, for WEFT_TASKS. */
typedef struct weft_task_entry {
    const char *task_id;
    weft_task_fn run;
} weft_task_entry;

static inline bool weft_error_(weft_task *task, uint8_t tag, const char *format, va_list args) {
    char *message = NULL;
    va_list copy;
    int len;
    va_copy(copy, args);
    len = vsnprintf(NULL, 0, format, copy);
    va_end(copy);
    if (len >= 0) message = malloc((size_t)len + 1);
    if (message != NULL) vsnprintf(message, (size_t)len + 1, format, args);
    if (task->error_set) weft_dag_types_task_error_free(task->error);
    task->error_set = true;
    task->error->tag = tag;
    /* The three string variants share one layout. */
    weft_str_dup_(&task->error->val.permanent, message != NULL ? message : format);
    free(message);
    return false;
}

/* Fail the attempt for good: no retry helps. Returns false, for `return weft_fail(...)`. */
static inline bool weft_fail(weft_task *task, const char *format, ...) {
    va_list args;
    va_start(args, format);
    weft_error_(task, WEFT_DAG_TYPES_TASK_ERROR_PERMANENT, format, args);
    va_end(args);
    return false;
}

/* Fail the attempt; a retry may mend it (while the task has retries left). */
static inline bool weft_retry(weft_task *task, const char *format, ...) {
    va_list args;
    va_start(args, format);
    weft_error_(task, WEFT_DAG_TYPES_TASK_ERROR_RETRYABLE, format, args);
    va_end(args);
    return false;
}

/* End the task as skipped, with the reason given. */
static inline bool weft_skip(weft_task *task, const char *format, ...) {
    va_list args;
    va_start(args, format);
    weft_error_(task, WEFT_DAG_TYPES_TASK_ERROR_SKIP, format, args);
    va_end(args);
    return false;
}

/* Succeed with the object `out` as the task's output (its XCom return value). */
static inline bool weft_ok(weft_task *task, weft_json_object *out) {
    size_t len = 0;
    char *json = weft_json_finish(out, &len);
    if (json == NULL) return weft_retry(task, "out of memory writing the task's output");
    task->output->ptr = (uint8_t *)json;
    task->output->len = len;
    return true;
}

/* Succeed with `json`, already JSON text, copied as the task's output. */
static inline bool weft_ok_raw(weft_task *task, const void *json, size_t len) {
    uint8_t *copy = malloc(len ? len : 1);
    if (copy == NULL) return weft_retry(task, "out of memory writing the task's output");
    memcpy(copy, json, len);
    task->output->ptr = copy;
    task->output->len = len;
    return true;
}

/* What the last lookup found, in words: "absent", "of another type", ... */
static inline const char *weft_last_json_error(const weft_task *task) {
    return weft_json_status_text(task->json_status);
}

/* Conf field `key`, a string: a malloc'd copy; `fallback` (copied) when absent; NULL when it
 * is of another type or the conf is not an object (weft_last_json_error says which). */
static inline char *weft_conf_string(weft_task *task, const char *key, const char *fallback) {
    char *value = NULL;
    task->json_status = weft_json_get_string(task->ctx->conf.ptr, task->ctx->conf.len, key, &value);
    if (task->json_status == WEFT_JSON_ABSENT && fallback != NULL) {
        value = weft_strdup_(fallback);
        task->json_status = value != NULL ? WEFT_JSON_OK : WEFT_JSON_NO_MEMORY;
    }
    return task->json_status == WEFT_JSON_OK ? value : NULL;
}

/* Conf field `key`, an integer, into `*out` (left alone unless found). */
static inline weft_json_status weft_conf_int(weft_task *task, const char *key, int64_t *out) {
    task->json_status = weft_json_get_int(task->ctx->conf.ptr, task->ctx->conf.len, key, out);
    return task->json_status;
}

/* The output of direct upstream task `task_id` (JSON bytes), or NULL when it has none. */
static inline const dag_list_u8_t *weft_upstream(const weft_task *task, const char *task_id) {
    size_t n = strlen(task_id);
    for (size_t i = 0; i < task->upstream->len; i++) {
        const dag_string_t *id = &task->upstream->ptr[i].task_id;
        if (id->len == n && memcmp(id->ptr, task_id, n) == 0) return &task->upstream->ptr[i].value;
    }
    return NULL;
}

/* Field `key` of upstream task `task_id`'s output object, a string (malloc'd), or NULL
 * (weft_last_json_error says why; "absent" also when the task gave no output). */
static inline char *weft_upstream_string(weft_task *task, const char *task_id, const char *key) {
    const dag_list_u8_t *value = weft_upstream(task, task_id);
    char *out = NULL;
    if (value == NULL) {
        task->json_status = WEFT_JSON_ABSENT;
        return NULL;
    }
    task->json_status = weft_json_get_string(value->ptr, value->len, key, &out);
    return task->json_status == WEFT_JSON_OK ? out : NULL;
}

/* The id of the task being run, as a NUL-terminated copy (free it). */
static inline char *weft_task_id(const weft_task *task) {
    char *id = malloc(task->ctx->task_id.len + 1);
    if (id == NULL) return NULL;
    memcpy(id, task->ctx->task_id.ptr, task->ctx->task_id.len);
    id[task->ctx->task_id.len] = 0;
    return id;
}

/* Run the task `ctx` names from `tasks`; frees what the host handed in. A task that returns
 * false without an error, or true without an output, fails for good, saying so. */
static inline bool weft_dispatch(const weft_task_entry *tasks, size_t count, dag_task_context_t *ctx,
                                 dag_list_upstream_output_t *upstream, dag_list_u8_t *ret, dag_task_error_t *err) {
    weft_task task = {ctx, upstream, ret, err, WEFT_JSON_OK, false};
    bool ok = false, known = false;
    memset(ret, 0, sizeof *ret);
    memset(err, 0, sizeof *err);
    for (size_t i = 0; i < count; i++) {
        size_t n = strlen(tasks[i].task_id);
        if (ctx->task_id.len == n && memcmp(ctx->task_id.ptr, tasks[i].task_id, n) == 0) {
            known = true;
            ok = tasks[i].run(&task);
            break;
        }
    }
    if (!known) {
        ok = weft_fail(&task, "this component has no task %.*s", (int)ctx->task_id.len, (const char *)ctx->task_id.ptr);
    } else if (ok && ret->ptr == NULL) {
        ok = weft_fail(&task, "task %.*s returned true without an output (end it with weft_ok)",
                       (int)ctx->task_id.len, (const char *)ctx->task_id.ptr);
    } else if (!ok && !task.error_set) {
        ok = weft_fail(&task, "task %.*s returned false without an error (end it with weft_fail, weft_retry or weft_skip)",
                       (int)ctx->task_id.len, (const char *)ctx->task_id.ptr);
    }
    if (!ok && ret->ptr != NULL) {
        dag_list_u8_free(ret);
        memset(ret, 0, sizeof *ret);
    }
    dag_task_context_free(ctx);
    dag_list_upstream_output_free(upstream);
    return ok;
}

/* The table of tasks: `WEFT_TASKS({"t1", t1}, {"t2", t2});` defines the component's
 * run-task export over it. */
#define WEFT_TASKS(...)                                                                          \
    bool exports_dag_run_task(dag_task_context_t *ctx, dag_list_upstream_output_t *upstream,   \
                              dag_list_u8_t *ret, dag_task_error_t *err) {                     \
        static const weft_task_entry weft_tasks_[] = {__VA_ARGS__};                            \
        return weft_dispatch(weft_tasks_, sizeof weft_tasks_ / sizeof *weft_tasks_, ctx,       \
                             upstream, ret, err);                                              \
    }

/* ---- host calls ------------------------------------------------------------------------- */

/* Write a line to the task's log at `level` (WEFT_DAG_TYPES_LOG_LEVEL_*), printf-style. */
static inline void weft_vlog(weft_dag_types_log_level_t level, const char *format, va_list args) {
    char stack[512];
    char *line = stack;
    dag_string_t message;
    va_list copy;
    int len;
    va_copy(copy, args);
    len = vsnprintf(stack, sizeof stack, format, copy);
    va_end(copy);
    if (len < 0) return;
    if ((size_t)len >= sizeof stack) {
        line = malloc((size_t)len + 1);
        if (line == NULL) return;
        vsnprintf(line, (size_t)len + 1, format, args);
    }
    message.ptr = (uint8_t *)line;
    message.len = (size_t)len;
    weft_dag_log_write(level, &message);
    if (line != stack) free(line);
}

static inline void weft_log(weft_dag_types_log_level_t level, const char *format, ...) {
    va_list args;
    va_start(args, format);
    weft_vlog(level, format, args);
    va_end(args);
}

#define weft_debug(...) weft_log(WEFT_DAG_TYPES_LOG_LEVEL_DEBUG, __VA_ARGS__)
#define weft_info(...) weft_log(WEFT_DAG_TYPES_LOG_LEVEL_INFO, __VA_ARGS__)
#define weft_warn(...) weft_log(WEFT_DAG_TYPES_LOG_LEVEL_WARN, __VA_ARGS__)
#define weft_error(...) weft_log(WEFT_DAG_TYPES_LOG_LEVEL_ERROR, __VA_ARGS__)

/* An XCom error as the task's error: retryable when the store was unreachable. */
static inline bool weft_xcom_failed_(weft_task *task, const char *what, weft_dag_xcom_xcom_error_t *e) {
    switch (e->tag) {
    case WEFT_DAG_TYPES_XCOM_ERROR_NOT_UPSTREAM:
        weft_fail(task, "%s: not upstream: %.*s", what, (int)e->val.not_upstream.len, (const char *)e->val.not_upstream.ptr);
        break;
    case WEFT_DAG_TYPES_XCOM_ERROR_INVALID_KEY:
        weft_fail(task, "%s: invalid key: %.*s", what, (int)e->val.invalid_key.len, (const char *)e->val.invalid_key.ptr);
        break;
    case WEFT_DAG_TYPES_XCOM_ERROR_TOO_LARGE:
        weft_fail(task, "%s: the value is larger than the host's limit of %llu bytes", what,
                  (unsigned long long)e->val.too_large);
        break;
    default:
        weft_retry(task, "%s: XCom unavailable: %.*s", what, (int)e->val.unavailable.len, (const char *)e->val.unavailable.ptr);
        break;
    }
    weft_dag_types_xcom_error_free(e);
    return false;
}

/* Push `json` (JSON text) under `key` for downstream tasks. False with the task's error set
 * when the host refuses. */
static inline bool weft_xcom_push(weft_task *task, const char *key, const char *json) {
    dag_string_t k;
    dag_list_u8_t value = {(uint8_t *)json, strlen(json)};
    weft_dag_xcom_xcom_error_t e;
    dag_string_set(&k, key);
    if (weft_dag_xcom_push(&k, &value, &e)) return true;
    return weft_xcom_failed_(task, "xcom push", &e);
}

/*
 * Pull the value upstream task `task_id` pushed under `key` (NULL: its output) into `*out`
 * (owned: free with dag_list_u8_free). 1 when found, 0 when there is none, -1 with the task's
 * error set when the host refuses.
 */
static inline int weft_xcom_pull(weft_task *task, const char *task_id, const char *key, dag_list_u8_t *out) {
    dag_string_t id, k;
    dag_option_list_u8_t value;
    weft_dag_xcom_xcom_error_t e;
    dag_string_set(&id, task_id);
    if (key != NULL) dag_string_set(&k, key);
    if (!weft_dag_xcom_pull(&id, key != NULL ? &k : NULL, &value, &e)) {
        weft_xcom_failed_(task, "xcom pull", &e);
        return -1;
    }
    if (!value.is_some) return 0;
    *out = value.val;
    return 1;
}

/* Variable `key` as a malloc'd string, or NULL when it is not set. */
static inline char *weft_variable(const char *key) {
    dag_string_t k, value;
    char *out;
    dag_string_set(&k, key);
    if (!weft_dag_variables_get(&k, &value)) return NULL;
    out = malloc(value.len + 1);
    if (out != NULL) {
        memcpy(out, value.ptr, value.len);
        out[value.len] = 0;
    }
    dag_string_free(&value);
    return out;
}

#endif /* WEFT_H */
