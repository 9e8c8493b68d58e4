/*
 * Unit tests of weft_json.h, built for the host with sanitizers by scripts/test.sh:
 *   cc -std=c11 -Wall -Wextra -Werror -fsanitize=address,undefined sdk/c/tests/json_test.c
 * Prints one line per failed check and a closing count; exits non-zero on any failure.
 */
#include <stdio.h>

#include "../weft_json.h"

static int passed, failed;

#define CHECK(cond)                                                                     \
    do {                                                                                \
        if (cond) {                                                                     \
            passed++;                                                                   \
        } else {                                                                        \
            failed++;                                                                   \
            fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond);   \
        }                                                                               \
    } while (0)

static weft_json_status get_string(const char *json, const char *key, char **out) {
    return weft_json_get_string((const uint8_t *)json, strlen(json), key, out);
}

static weft_json_status get_int(const char *json, const char *key, int64_t *out) {
    return weft_json_get_int((const uint8_t *)json, strlen(json), key, out);
}

/* `key` read as a string equals `want`. */
static int string_is(const char *json, const char *key, const char *want) {
    char *got = NULL;
    int same = get_string(json, key, &got) == WEFT_JSON_OK && strcmp(got, want) == 0;
    free(got);
    return same;
}

static void reads_strings(void) {
    CHECK(string_is("{\"name\": \"Ada\"}", "name", "Ada"));
    CHECK(string_is(" {\"a\":1, \"name\" : \"x\"} \n", "name", "x"));
    CHECK(string_is("{\"name\":\"q\\\"b\\\\s\\/n\\nt\\t\"}", "name", "q\"b\\s/n\nt\t"));
    CHECK(string_is("{\"name\":\"\\u00e9\\u20ac\"}", "name", "\xC3\xA9\xE2\x82\xAC"));
    /* A surrogate pair is one code point, U+1F600. */
    CHECK(string_is("{\"name\":\"\\ud83d\\ude00\"}", "name", "\xF0\x9F\x98\x80"));
    CHECK(string_is("{\"name\":\"\xC3\xA9t\xC3\xA9\"}", "name", "\xC3\xA9t\xC3\xA9"));
    /* Keys are compared decoded. */
    CHECK(string_is("{\"n\\u0061me\":\"esc\"}", "name", "esc"));
    /* Members nested deeper do not count, and the last of a name wins. */
    CHECK(string_is("{\"o\":{\"name\":\"inner\"},\"name\":\"outer\"}", "name", "outer"));
    CHECK(string_is("{\"name\":\"first\",\"name\":\"last\"}", "name", "last"));
}

static void tells_absent_wrong_and_malformed(void) {
    char *s = NULL;
    int64_t i = 0;
    bool b = false;
    CHECK(get_string("{}", "name", &s) == WEFT_JSON_ABSENT);
    CHECK(get_string("{\"other\":\"x\"}", "name", &s) == WEFT_JSON_ABSENT);
    CHECK(get_string("{\"name\":null}", "name", &s) == WEFT_JSON_ABSENT);
    CHECK(get_string("{\"name\":42}", "name", &s) == WEFT_JSON_WRONG_TYPE);
    CHECK(get_string("{\"name\":\"a\\u0000b\"}", "name", &s) == WEFT_JSON_WRONG_TYPE);
    CHECK(get_int("{\"n\":\"42\"}", "n", &i) == WEFT_JSON_WRONG_TYPE);
    CHECK(weft_json_get_bool((const uint8_t *)"{\"b\":1}", 7, "b", &b) == WEFT_JSON_WRONG_TYPE);
    CHECK(s == NULL);

    static const char *const malformed[] = {
        "",
        "   ",
        "[]",
        "\"name\"",
        "{",
        "{\"name\":\"Ada\"",
        "{\"name\":\"Ada\"} x",
        "{\"name\" \"Ada\"}",
        "{\"name\":\"Ada\",}",
        "{name:\"Ada\"}",
        "{\"name\":'Ada'}",
        "{\"name\":\"bad \\x escape\"}",
        "{\"name\":\"raw \n newline\"}",
        "{\"name\":\"\\ud83d alone\"}",
        "{\"name\":\"\\ude00 low first\"}",
        "{\"name\":\"\\u12\"}",
        "{\"name\":\"\xC3\"}",
        "{\"name\":\"\xED\xA0\x80\"}",
        "{\"name\":\"\xC0\xAF\"}",
        "{\"n\":01}",
        "{\"n\":1.}",
        "{\"n\":-}",
        "{\"n\":1e}",
        "{\"n\":tru}",
        "{\"a\":[1,2,]}",
        /* Malformed after the member asked for still counts. */
        "{\"name\":\"Ada\",\"x\":[}",
    };
    for (size_t k = 0; k < sizeof malformed / sizeof *malformed; k++) {
        weft_json_status status = get_string(malformed[k], "name", &s);
        if (status != WEFT_JSON_MALFORMED) {
            fprintf(stderr, "not refused as malformed: %s\n", malformed[k]);
        }
        CHECK(status == WEFT_JSON_MALFORMED);
    }
    CHECK(weft_json_get_string(NULL, 0, "name", &s) == WEFT_JSON_MALFORMED);
    CHECK(s == NULL);
}

static void refuses_deep_nesting(void) {
    size_t depth = WEFT_JSON_MAX_DEPTH + 10, n = 0;
    char *doc = malloc(depth * 2 + 32);
    char *s = NULL;
    n += (size_t)sprintf(doc, "{\"a\":");
    for (size_t k = 0; k < depth; k++) doc[n++] = '[';
    for (size_t k = 0; k < depth; k++) doc[n++] = ']';
    n += (size_t)sprintf(doc + n, ",\"name\":\"x\"}");
    CHECK(weft_json_get_string((const uint8_t *)doc, n, "name", &s) == WEFT_JSON_MALFORMED);
    /* Just within the limit is fine. */
    n = (size_t)sprintf(doc, "{\"a\":");
    for (size_t k = 0; k + 1 < WEFT_JSON_MAX_DEPTH; k++) doc[n++] = '[';
    for (size_t k = 0; k + 1 < WEFT_JSON_MAX_DEPTH; k++) doc[n++] = ']';
    n += (size_t)sprintf(doc + n, ",\"name\":\"x\"}");
    CHECK(weft_json_get_string((const uint8_t *)doc, n, "name", &s) == WEFT_JSON_OK);
    free(s);
    free(doc);
}

static void reads_integers_and_booleans(void) {
    int64_t i = 0;
    bool b = false;
    CHECK(get_int("{\"n\":42}", "n", &i) == WEFT_JSON_OK && i == 42);
    CHECK(get_int("{\"n\":-7}", "n", &i) == WEFT_JSON_OK && i == -7);
    CHECK(get_int("{\"n\":9223372036854775807}", "n", &i) == WEFT_JSON_OK && i == INT64_MAX);
    CHECK(get_int("{\"n\":-9223372036854775808}", "n", &i) == WEFT_JSON_OK && i == INT64_MIN);
    CHECK(get_int("{\"n\":9223372036854775808}", "n", &i) == WEFT_JSON_WRONG_TYPE);
    CHECK(get_int("{\"n\":1.5}", "n", &i) == WEFT_JSON_WRONG_TYPE);
    CHECK(get_int("{\"n\":1e3}", "n", &i) == WEFT_JSON_WRONG_TYPE);
    CHECK(weft_json_parse_int((const uint8_t *)" 9 ", 3, &i) == WEFT_JSON_OK && i == 9);
    CHECK(weft_json_parse_int((const uint8_t *)"-12", 3, &i) == WEFT_JSON_OK && i == -12);
    CHECK(weft_json_parse_int((const uint8_t *)"\"9\"", 3, &i) == WEFT_JSON_WRONG_TYPE);
    CHECK(weft_json_parse_int((const uint8_t *)"9 9", 3, &i) == WEFT_JSON_MALFORMED);
    CHECK(weft_json_parse_int((const uint8_t *)"", 0, &i) == WEFT_JSON_MALFORMED);
    CHECK(weft_json_get_bool((const uint8_t *)"{\"b\":true}", 10, "b", &b) == WEFT_JSON_OK && b);
    CHECK(weft_json_get_bool((const uint8_t *)"{\"b\":false}", 11, "b", &b) == WEFT_JSON_OK && !b);
}

/* The object written by `o`, NUL-terminated for comparison. */
static char *finished(weft_json_object *o) {
    size_t len = 0;
    char *json = weft_json_finish(o, &len);
    char *text = malloc(len + 1);
    memcpy(text, json, len);
    text[len] = 0;
    free(json);
    return text;
}

static void writes_objects(void) {
    weft_json_object o = {0};
    char *text = finished(&o);
    CHECK(strcmp(text, "{}") == 0);
    free(text);

    weft_json_put_str(&o, "greeting", "hello, \"Ada\"\\\n\t\x01");
    weft_json_put_int(&o, "length", 9);
    weft_json_put_int(&o, "min", INT64_MIN);
    weft_json_put_bool(&o, "ok", true);
    weft_json_put_raw(&o, "list", "[1,2]", 5);
    weft_json_put_strn(&o, "bytes", "a\0b", 3);
    text = finished(&o);
    CHECK(strcmp(text, "{\"greeting\":\"hello, \\\"Ada\\\"\\\\\\n\\t\\u0001\",\"length\":9,"
                       "\"min\":-9223372036854775808,\"ok\":true,\"list\":[1,2],"
                       "\"bytes\":\"a\\u0000b\"}") == 0);
    free(text);

    /* Invalid UTF-8 becomes U+FFFD; valid multi-byte sequences stay. */
    weft_json_put_str(&o, "s", "\xC3\xA9\xFF\xE2\x82");
    text = finished(&o);
    CHECK(strcmp(text, "{\"s\":\"\xC3\xA9\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\"}") == 0);
    free(text);
}

static void written_objects_read_back(void) {
    static const char *const values[] = {"", "plain", "quote \" and \\ back", "ctl \x01\x1f", "\xF0\x9F\x98\x80"};
    for (size_t k = 0; k < sizeof values / sizeof *values; k++) {
        weft_json_object o = {0};
        size_t len = 0;
        char *json, *back = NULL;
        weft_json_put_str(&o, "v", values[k]);
        json = weft_json_finish(&o, &len);
        CHECK(weft_json_get_string((const uint8_t *)json, len, "v", &back) == WEFT_JSON_OK);
        CHECK(back != NULL && strcmp(back, values[k]) == 0);
        free(back);
        free(json);
    }
}

int main(void) {
    reads_strings();
    tells_absent_wrong_and_malformed();
    refuses_deep_nesting();
    reads_integers_and_booleans();
    writes_objects();
    written_objects_read_back();
    printf("weft_json: %d passed, %d failed\n", passed, failed);
    return failed == 0 ? 0 : 1;
}
