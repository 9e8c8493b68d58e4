/*
 * hello_c: Weft's `hello` example DAG in C, on sdk/c/weft.h.
 *
 *   t1 >> [t2, t3] >> t4
 *
 * - t1 greets the run's conf field `name` (default `world`): {"greeting": "hello, <name>"}.
 * - t2 reads t1's output from its upstream outputs: {"upper": "HELLO, <NAME>"}.
 * - t3 pulls t1's output through XCom, pushes the greeting's length as `length`:
 *   {"reversed": "<eman> ,olleh"}.
 * - t4 pulls t2's and t3's outputs and t3's `length`: {"upper": ..., "reversed": ..., "length": N}.
 *
 * Bad input (a conf that is not a JSON object, a `name` that is not a string, an upstream
 * output without its field) fails the task for good; an XCom store that cannot be reached
 * gives a retryable error.
 */
#include <ctype.h>

#include "weft.h"

WEFT_DESCRIBE(dag) {
    weft_dag_init(dag, "hello_c", "Greets someone in C: t1 >> [t2, t3] >> t4.");
    weft_dag_schedule(dag, "@daily", "2024-01-01");
    weft_dag_tags(dag, "example", "c", NULL);
    weft_add_task(dag, "t1", NULL);
    weft_add_task(dag, "t2", "t1", NULL);
    weft_add_task(dag, "t3", "t1", NULL);
    weft_task_retries(weft_add_task(dag, "t4", "t2", "t3", NULL), 2, 1000);
}

static bool t1(weft_task *task) {
    char *name = weft_conf_string(task, "name", "world");
    weft_json_object out = {0};
    size_t len;
    char *greeting;
    if (name == NULL) {
        return weft_fail(task, "the run's conf field `name` is %s: give a string", weft_last_json_error(task));
    }
    len = strlen("hello, ") + strlen(name) + 1;
    greeting = malloc(len);
    if (greeting == NULL) {
        free(name);
        return weft_retry(task, "out of memory");
    }
    snprintf(greeting, len, "hello, %s", name);
    weft_info("t1: %s", greeting);
    weft_json_put_str(&out, "greeting", greeting);
    free(greeting);
    free(name);
    return weft_ok(task, &out);
}

static bool t2(weft_task *task) {
    char *greeting = weft_upstream_string(task, "t1", "greeting");
    weft_json_object out = {0};
    if (greeting == NULL) {
        return weft_fail(task, "t1's output field `greeting` is %s", weft_last_json_error(task));
    }
    weft_info("t2: read '%s' from the upstream outputs", greeting);
    for (char *p = greeting; *p; p++) *p = (char)toupper((unsigned char)*p);
    weft_json_put_str(&out, "upper", greeting);
    free(greeting);
    return weft_ok(task, &out);
}

/* Field `key` of the value upstream task `task_id` returned, pulled through XCom; NULL with
 * the task's error set when it cannot be had. */
static char *pulled_string(weft_task *task, const char *task_id, const char *key) {
    dag_list_u8_t value;
    char *field = NULL;
    weft_json_status status;
    int found = weft_xcom_pull(task, task_id, NULL, &value);
    if (found < 0) return NULL;
    if (found == 0) {
        weft_fail(task, "%s returned nothing", task_id);
        return NULL;
    }
    status = weft_json_get_string(value.ptr, value.len, key, &field);
    dag_list_u8_free(&value);
    if (status != WEFT_JSON_OK) {
        weft_fail(task, "%s's output field `%s` is %s", task_id, key, weft_json_status_text(status));
        return NULL;
    }
    return field;
}

/* Reverse the `n` bytes of UTF-8 at `s` character by character: the bytes of each character
 * keep their order. */
static void reverse_characters(char *s, size_t n) {
    /* The whole string backwards, then each character's bytes, now also backwards, back. */
    for (size_t i = 0; i < n / 2; i++) {
        char c = s[i];
        s[i] = s[n - 1 - i];
        s[n - 1 - i] = c;
    }
    for (size_t i = 0; i < n;) {
        size_t j = i;
        /* A character's continuation bytes (10xxxxxx) now come before its lead byte. */
        while (j < n && ((unsigned char)s[j] & 0xC0) == 0x80) j++;
        for (size_t a = i, b = j < n ? j : n - 1; a < b; a++, b--) {
            char c = s[a];
            s[a] = s[b];
            s[b] = c;
        }
        i = j + 1;
    }
}

static bool t3(weft_task *task) {
    char *greeting = pulled_string(task, "t1", "greeting");
    weft_json_object out = {0};
    char length[24];
    size_t n;
    if (greeting == NULL) return false;
    weft_info("t3: pulled '%s' through XCom", greeting);
    n = strlen(greeting);
    snprintf(length, sizeof length, "%zu", n);
    if (!weft_xcom_push(task, "length", length)) {
        free(greeting);
        return false;
    }
    reverse_characters(greeting, n);
    weft_json_put_str(&out, "reversed", greeting);
    free(greeting);
    return weft_ok(task, &out);
}

static bool t4(weft_task *task) {
    char *upper = pulled_string(task, "t2", "upper");
    char *reversed = upper != NULL ? pulled_string(task, "t3", "reversed") : NULL;
    dag_list_u8_t pushed;
    weft_json_object out = {0};
    int64_t length = 0;
    weft_json_status status;
    int found;
    if (reversed == NULL) {
        free(upper);
        return false;
    }
    found = weft_xcom_pull(task, "t3", "length", &pushed);
    if (found <= 0) {
        free(upper);
        free(reversed);
        return found < 0 ? false : weft_fail(task, "t3 pushed no `length`");
    }
    status = weft_json_parse_int(pushed.ptr, pushed.len, &length);
    dag_list_u8_free(&pushed);
    if (status != WEFT_JSON_OK) {
        free(upper);
        free(reversed);
        return weft_fail(task, "t3's `length` is %s: an integer was expected", weft_json_status_text(status));
    }
    weft_json_put_str(&out, "upper", upper);
    weft_json_put_str(&out, "reversed", reversed);
    weft_json_put_int(&out, "length", length);
    weft_info("t4: combined %s, %s and %lld", upper, reversed, (long long)length);
    free(upper);
    free(reversed);
    return weft_ok(task, &out);
}

WEFT_TASKS({"t1", t1}, {"t2", t2}, {"t3", t3}, {"t4", t4})
