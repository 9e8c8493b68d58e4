/*
 * weft_json.h: the JSON a C DAG reads and writes — a run's conf, upstream outputs and XCom
 * values in, task outputs out. Header-only, C11, no dependency beyond libc, and no use of
 * the generated bindings, so it is unit-tested on the host (sdk/c/tests/json_test.c).
 *
 * Reading looks up one member of a top-level object. The whole document is checked first:
 * malformed JSON (bad escapes, unpaired surrogates, trailing garbage, nesting deeper than
 * WEFT_JSON_MAX_DEPTH) is reported as such, never half-read.
 *
 *   char *name = NULL;
 *   switch (weft_json_get_string(conf, conf_len, "name", &name)) { ... }   // free(name)
 *
 * Writing builds one object, escaping every string (invalid UTF-8 becomes U+FFFD):
 *
 *   weft_json_object o = {0};
 *   weft_json_put_str(&o, "greeting", "hello");
 *   weft_json_put_int(&o, "length", 5);
 *   size_t len; char *json = weft_json_finish(&o, &len);     // {"greeting":"hello","length":5}
 */
#ifndef WEFT_JSON_H
#define WEFT_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Deepest nesting of arrays and objects a document may have. */
#define WEFT_JSON_MAX_DEPTH 128

/* What a lookup found. */
typedef enum weft_json_status {
    /* The member is there, of the type asked for. */
    WEFT_JSON_OK = 0,
    /* The document is an object without that member, or the member is null. */
    WEFT_JSON_ABSENT,
    /* The member holds another type (or a number out of range, or a string holding NUL). */
    WEFT_JSON_WRONG_TYPE,
    /* The document is not JSON, or not an object. */
    WEFT_JSON_MALFORMED,
    /* Memory ran out. */
    WEFT_JSON_NO_MEMORY,
} weft_json_status;

/* A short English description of `status`, for error messages. */
static inline const char *weft_json_status_text(weft_json_status status) {
    switch (status) {
    case WEFT_JSON_OK: return "ok";
    case WEFT_JSON_ABSENT: return "absent";
    case WEFT_JSON_WRONG_TYPE: return "of another type";
    case WEFT_JSON_MALFORMED: return "not a JSON object";
    case WEFT_JSON_NO_MEMORY: return "out of memory";
    }
    return "unknown";
}

/* ---- reading ------------------------------------------------------------------------ */

typedef struct weft_json_cursor {
    const uint8_t *p;
    const uint8_t *end;
} weft_json_cursor;

static inline void weft_json_skip_ws_(weft_json_cursor *c) {
    while (c->p < c->end && (*c->p == ' ' || *c->p == '\t' || *c->p == '\n' || *c->p == '\r')) {
        c->p++;
    }
}

static inline int weft_json_hex_(const uint8_t *p, const uint8_t *end, uint32_t *out) {
    uint32_t v = 0;
    if (end - p < 4) return 0;
    for (int i = 0; i < 4; i++) {
        uint8_t h = p[i];
        v <<= 4;
        if (h >= '0' && h <= '9') v |= (uint32_t)(h - '0');
        else if (h >= 'a' && h <= 'f') v |= (uint32_t)(h - 'a' + 10);
        else if (h >= 'A' && h <= 'F') v |= (uint32_t)(h - 'A' + 10);
        else return 0;
    }
    *out = v;
    return 1;
}

/* Length in bytes of the valid UTF-8 sequence at `p`, or 0 when it is not one. */
static inline size_t weft_json_utf8_len_(const uint8_t *p, const uint8_t *end) {
    uint8_t b = p[0];
    size_t n;
    uint32_t cp;
    if (b < 0x80) return 1;
    if (b >= 0xC2 && b <= 0xDF) { n = 2; cp = b & 0x1F; }
    else if (b >= 0xE0 && b <= 0xEF) { n = 3; cp = b & 0x0F; }
    else if (b >= 0xF0 && b <= 0xF4) { n = 4; cp = b & 0x07; }
    else return 0;
    if ((size_t)(end - p) < n) return 0;
    for (size_t i = 1; i < n; i++) {
        if ((p[i] & 0xC0) != 0x80) return 0;
        cp = (cp << 6) | (p[i] & 0x3F);
    }
    if ((n == 3 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF))) || (n == 4 && (cp < 0x10000 || cp > 0x10FFFF))) {
        return 0;
    }
    return n;
}

static inline size_t weft_json_put_utf8_(uint8_t *o, uint32_t cp) {
    if (cp < 0x80) { o[0] = (uint8_t)cp; return 1; }
    if (cp < 0x800) { o[0] = (uint8_t)(0xC0 | (cp >> 6)); o[1] = (uint8_t)(0x80 | (cp & 0x3F)); return 2; }
    if (cp < 0x10000) {
        o[0] = (uint8_t)(0xE0 | (cp >> 12));
        o[1] = (uint8_t)(0x80 | ((cp >> 6) & 0x3F));
        o[2] = (uint8_t)(0x80 | (cp & 0x3F));
        return 3;
    }
    o[0] = (uint8_t)(0xF0 | (cp >> 18));
    o[1] = (uint8_t)(0x80 | ((cp >> 12) & 0x3F));
    o[2] = (uint8_t)(0x80 | ((cp >> 6) & 0x3F));
    o[3] = (uint8_t)(0x80 | (cp & 0x3F));
    return 4;
}

/*
 * A string at the cursor (which is on its opening quote). When `out` is given, the decoded
 * bytes are written there (the caller gives room for as many bytes as the source has) and
 * their count to `*out_len`. 1 on success, 0 when malformed.
 */
static inline int weft_json_string_(weft_json_cursor *c, uint8_t *out, size_t *out_len) {
    size_t n = 0;
    if (c->p >= c->end || *c->p != '"') return 0;
    c->p++;
    while (c->p < c->end) {
        uint8_t b = *c->p;
        if (b == '"') {
            c->p++;
            if (out_len) *out_len = n;
            return 1;
        }
        if (b < 0x20) return 0;
        if (b == '\\') {
            uint8_t e;
            if (c->end - c->p < 2) return 0;
            e = c->p[1];
            c->p += 2;
            uint8_t simple = 0;
            switch (e) {
            case '"': simple = '"'; break;
            case '\\': simple = '\\'; break;
            case '/': simple = '/'; break;
            case 'b': simple = '\b'; break;
            case 'f': simple = '\f'; break;
            case 'n': simple = '\n'; break;
            case 'r': simple = '\r'; break;
            case 't': simple = '\t'; break;
            case 'u': {
                uint32_t cp;
                if (!weft_json_hex_(c->p, c->end, &cp)) return 0;
                c->p += 4;
                if (cp >= 0xDC00 && cp <= 0xDFFF) return 0;
                if (cp >= 0xD800 && cp <= 0xDBFF) {
                    uint32_t low;
                    if (c->end - c->p < 6 || c->p[0] != '\\' || c->p[1] != 'u') return 0;
                    if (!weft_json_hex_(c->p + 2, c->end, &low) || low < 0xDC00 || low > 0xDFFF) return 0;
                    c->p += 6;
                    cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
                }
                if (out) weft_json_put_utf8_(out + n, cp);
                n += cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
                continue;
            }
            default: return 0;
            }
            if (out) out[n] = simple;
            n++;
            continue;
        }
        size_t len = weft_json_utf8_len_(c->p, c->end);
        if (len == 0) return 0;
        if (out) memcpy(out + n, c->p, len);
        n += len;
        c->p += len;
    }
    return 0;
}

static inline int weft_json_number_(weft_json_cursor *c) {
    const uint8_t *start = c->p;
    if (c->p < c->end && *c->p == '-') c->p++;
    if (c->p >= c->end) return 0;
    if (*c->p == '0') {
        c->p++;
    } else if (*c->p >= '1' && *c->p <= '9') {
        while (c->p < c->end && *c->p >= '0' && *c->p <= '9') c->p++;
    } else {
        return 0;
    }
    if (c->p < c->end && *c->p == '.') {
        c->p++;
        if (c->p >= c->end || *c->p < '0' || *c->p > '9') return 0;
        while (c->p < c->end && *c->p >= '0' && *c->p <= '9') c->p++;
    }
    if (c->p < c->end && (*c->p == 'e' || *c->p == 'E')) {
        c->p++;
        if (c->p < c->end && (*c->p == '+' || *c->p == '-')) c->p++;
        if (c->p >= c->end || *c->p < '0' || *c->p > '9') return 0;
        while (c->p < c->end && *c->p >= '0' && *c->p <= '9') c->p++;
    }
    return c->p > start;
}

static inline int weft_json_literal_(weft_json_cursor *c, const char *word) {
    size_t n = strlen(word);
    if ((size_t)(c->end - c->p) < n || memcmp(c->p, word, n) != 0) return 0;
    c->p += n;
    return 1;
}

/* Any value at the cursor, skipped; 1 when well formed. */
static inline int weft_json_value_(weft_json_cursor *c, int depth) {
    weft_json_skip_ws_(c);
    if (c->p >= c->end) return 0;
    switch (*c->p) {
    case '"': return weft_json_string_(c, NULL, NULL);
    case 't': return weft_json_literal_(c, "true");
    case 'f': return weft_json_literal_(c, "false");
    case 'n': return weft_json_literal_(c, "null");
    case '[':
    case '{': {
        uint8_t close = *c->p == '[' ? ']' : '}';
        int object = close == '}';
        if (depth >= WEFT_JSON_MAX_DEPTH) return 0;
        c->p++;
        weft_json_skip_ws_(c);
        if (c->p < c->end && *c->p == close) {
            c->p++;
            return 1;
        }
        for (;;) {
            if (object) {
                weft_json_skip_ws_(c);
                if (!weft_json_string_(c, NULL, NULL)) return 0;
                weft_json_skip_ws_(c);
                if (c->p >= c->end || *c->p != ':') return 0;
                c->p++;
            }
            if (!weft_json_value_(c, depth + 1)) return 0;
            weft_json_skip_ws_(c);
            if (c->p >= c->end) return 0;
            if (*c->p == ',') {
                c->p++;
                continue;
            }
            if (*c->p != close) return 0;
            c->p++;
            return 1;
        }
    }
    default: return weft_json_number_(c);
    }
}

/*
 * The value of member `key` of the object `json`, as a span of the document
 * (`*value`, `*value_len`). Checks the whole document. The last member of that name wins.
 */
static inline weft_json_status weft_json_get_raw(const uint8_t *json, size_t len, const char *key,
                                                 const uint8_t **value, size_t *value_len) {
    weft_json_cursor c = {json, json + len};
    size_t key_len = strlen(key);
    const uint8_t *found = NULL;
    size_t found_len = 0;
    if (json == NULL) return WEFT_JSON_MALFORMED;
    weft_json_skip_ws_(&c);
    if (c.p >= c.end || *c.p != '{') return WEFT_JSON_MALFORMED;
    c.p++;
    weft_json_skip_ws_(&c);
    if (c.p < c.end && *c.p == '}') {
        c.p++;
    } else {
        for (;;) {
            const uint8_t *key_start;
            size_t name_len = 0;
            int same;
            weft_json_skip_ws_(&c);
            key_start = c.p;
            if (!weft_json_string_(&c, NULL, &name_len)) return WEFT_JSON_MALFORMED;
            same = 0;
            if (name_len == key_len) {
                uint8_t *name = malloc(name_len + 1);
                weft_json_cursor k = {key_start, c.p};
                if (name == NULL) return WEFT_JSON_NO_MEMORY;
                weft_json_string_(&k, name, NULL);
                same = memcmp(name, key, key_len) == 0;
                free(name);
            }
            weft_json_skip_ws_(&c);
            if (c.p >= c.end || *c.p != ':') return WEFT_JSON_MALFORMED;
            c.p++;
            weft_json_skip_ws_(&c);
            {
                const uint8_t *start = c.p;
                if (!weft_json_value_(&c, 1)) return WEFT_JSON_MALFORMED;
                if (same) {
                    found = start;
                    found_len = (size_t)(c.p - start);
                }
            }
            weft_json_skip_ws_(&c);
            if (c.p >= c.end) return WEFT_JSON_MALFORMED;
            if (*c.p == ',') {
                c.p++;
                continue;
            }
            if (*c.p != '}') return WEFT_JSON_MALFORMED;
            c.p++;
            break;
        }
    }
    weft_json_skip_ws_(&c);
    if (c.p != c.end) return WEFT_JSON_MALFORMED;
    if (found == NULL || (found_len == 4 && memcmp(found, "null", 4) == 0)) return WEFT_JSON_ABSENT;
    *value = found;
    *value_len = found_len;
    return WEFT_JSON_OK;
}

/* Member `key`, a string, into `*out`: NUL-terminated, malloc'd (free it). */
static inline weft_json_status weft_json_get_string(const uint8_t *json, size_t len, const char *key, char **out) {
    const uint8_t *value;
    size_t value_len, decoded_len = 0;
    weft_json_status status = weft_json_get_raw(json, len, key, &value, &value_len);
    uint8_t *decoded;
    weft_json_cursor c;
    if (status != WEFT_JSON_OK) return status;
    if (*value != '"') return WEFT_JSON_WRONG_TYPE;
    decoded = malloc(value_len + 1);
    if (decoded == NULL) return WEFT_JSON_NO_MEMORY;
    c.p = value;
    c.end = value + value_len;
    weft_json_string_(&c, decoded, &decoded_len);
    if (memchr(decoded, 0, decoded_len) != NULL) {
        free(decoded);
        return WEFT_JSON_WRONG_TYPE;
    }
    decoded[decoded_len] = 0;
    *out = (char *)decoded;
    return WEFT_JSON_OK;
}

/* The integer spelled by the `len` bytes at `value` (no fraction, no exponent, fits in 64
 * bits) into `*out`. */
static inline weft_json_status weft_json_int_span_(const uint8_t *value, size_t len, int64_t *out) {
    int negative = len > 0 && value[0] == '-';
    uint64_t magnitude = 0, limit = negative ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
    size_t i = negative ? 1 : 0;
    if (i >= len || value[i] < '0' || value[i] > '9' || (value[i] == '0' && i + 1 < len)) {
        return WEFT_JSON_WRONG_TYPE;
    }
    for (; i < len; i++) {
        uint8_t d = value[i];
        if (d < '0' || d > '9') return WEFT_JSON_WRONG_TYPE;
        if (magnitude > (limit - (uint64_t)(d - '0')) / 10) return WEFT_JSON_WRONG_TYPE;
        magnitude = magnitude * 10 + (uint64_t)(d - '0');
    }
    if (negative) {
        *out = magnitude == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)magnitude;
    } else {
        *out = (int64_t)magnitude;
    }
    return WEFT_JSON_OK;
}

/* Member `key`, an integer (no fraction, no exponent) that fits in 64 bits, into `*out`. */
static inline weft_json_status weft_json_get_int(const uint8_t *json, size_t len, const char *key, int64_t *out) {
    const uint8_t *value;
    size_t value_len;
    weft_json_status status = weft_json_get_raw(json, len, key, &value, &value_len);
    if (status != WEFT_JSON_OK) return status;
    return weft_json_int_span_(value, value_len, out);
}

/* A whole document that is one integer (an XCom value such as `9`), surrounding whitespace
 * allowed, into `*out`. */
static inline weft_json_status weft_json_parse_int(const uint8_t *json, size_t len, int64_t *out) {
    weft_json_cursor c = {json, json + len};
    const uint8_t *start;
    if (json == NULL) return WEFT_JSON_MALFORMED;
    weft_json_skip_ws_(&c);
    start = c.p;
    if (!weft_json_value_(&c, 0)) return WEFT_JSON_MALFORMED;
    {
        const uint8_t *stop = c.p;
        weft_json_skip_ws_(&c);
        if (c.p != c.end) return WEFT_JSON_MALFORMED;
        return weft_json_int_span_(start, (size_t)(stop - start), out);
    }
}

/* Member `key`, `true` or `false`, into `*out`. */
static inline weft_json_status weft_json_get_bool(const uint8_t *json, size_t len, const char *key, bool *out) {
    const uint8_t *value;
    size_t value_len;
    weft_json_status status = weft_json_get_raw(json, len, key, &value, &value_len);
    if (status != WEFT_JSON_OK) return status;
    if (value_len == 4 && memcmp(value, "true", 4) == 0) *out = true;
    else if (value_len == 5 && memcmp(value, "false", 5) == 0) *out = false;
    else return WEFT_JSON_WRONG_TYPE;
    return WEFT_JSON_OK;
}

/* ---- writing ------------------------------------------------------------------------ */

/* An object being written; start from `{0}`. Once memory runs out, every call is a no-op
 * and weft_json_finish returns NULL. */
typedef struct weft_json_object {
    char *ptr;
    size_t len;
    size_t cap;
    size_t members;
    bool failed;
} weft_json_object;

static inline void weft_json_append_(weft_json_object *o, const void *bytes, size_t n) {
    if (o->failed) return;
    if (o->len + n + 2 > o->cap) {
        size_t cap = o->cap ? o->cap : 64;
        char *grown;
        while (o->len + n + 2 > cap) {
            if (cap > SIZE_MAX / 2) {
                o->failed = true;
                return;
            }
            cap *= 2;
        }
        grown = realloc(o->ptr, cap);
        if (grown == NULL) {
            o->failed = true;
            return;
        }
        o->ptr = grown;
        o->cap = cap;
    }
    memcpy(o->ptr + o->len, bytes, n);
    o->len += n;
}

/* `bytes` as a JSON string, quotes included: control characters escaped, invalid UTF-8
 * replaced by U+FFFD. */
static inline void weft_json_append_string_(weft_json_object *o, const uint8_t *bytes, size_t n) {
    static const char hex[] = "0123456789abcdef";
    const uint8_t *p = bytes, *end = bytes + n;
    weft_json_append_(o, "\"", 1);
    while (p < end) {
        uint8_t b = *p;
        const char *escaped = NULL;
        switch (b) {
        case '"': escaped = "\\\""; break;
        case '\\': escaped = "\\\\"; break;
        case '\n': escaped = "\\n"; break;
        case '\r': escaped = "\\r"; break;
        case '\t': escaped = "\\t"; break;
        case '\b': escaped = "\\b"; break;
        case '\f': escaped = "\\f"; break;
        default: break;
        }
        if (escaped) {
            weft_json_append_(o, escaped, 2);
            p++;
        } else if (b < 0x20) {
            char u[6] = {'\\', 'u', '0', '0', hex[b >> 4], hex[b & 0xF]};
            weft_json_append_(o, u, 6);
            p++;
        } else {
            size_t len = weft_json_utf8_len_(p, end);
            if (len == 0) {
                weft_json_append_(o, "\xEF\xBF\xBD", 3);
                p++;
            } else {
                weft_json_append_(o, p, len);
                p += len;
            }
        }
    }
    weft_json_append_(o, "\"", 1);
}

static inline void weft_json_key_(weft_json_object *o, const char *key) {
    weft_json_append_(o, o->members == 0 ? "{" : ",", 1);
    weft_json_append_string_(o, (const uint8_t *)key, strlen(key));
    weft_json_append_(o, ":", 1);
    o->members++;
}

/* Member `key` with the string `value` (NUL-terminated, UTF-8). */
static inline void weft_json_put_str(weft_json_object *o, const char *key, const char *value) {
    weft_json_key_(o, key);
    weft_json_append_string_(o, (const uint8_t *)value, strlen(value));
}

/* Member `key` with the string of `len` bytes at `value`. */
static inline void weft_json_put_strn(weft_json_object *o, const char *key, const void *value, size_t len) {
    weft_json_key_(o, key);
    weft_json_append_string_(o, (const uint8_t *)value, len);
}

/* Member `key` with the integer `value`. */
static inline void weft_json_put_int(weft_json_object *o, const char *key, int64_t value) {
    char digits[24];
    size_t n = 0;
    uint64_t magnitude = value < 0 ? (uint64_t)0 - (uint64_t)value : (uint64_t)value;
    do {
        digits[sizeof digits - 1 - n++] = (char)('0' + magnitude % 10);
        magnitude /= 10;
    } while (magnitude);
    if (value < 0) digits[sizeof digits - 1 - n++] = '-';
    weft_json_key_(o, key);
    weft_json_append_(o, digits + sizeof digits - n, n);
}

/* Member `key` with `true` or `false`. */
static inline void weft_json_put_bool(weft_json_object *o, const char *key, bool value) {
    weft_json_key_(o, key);
    weft_json_append_(o, value ? "true" : "false", value ? 4 : 5);
}

/* Member `key` with `json`, a value that is already JSON (another object, an array): the
 * caller answers for it being well formed. */
static inline void weft_json_put_raw(weft_json_object *o, const char *key, const void *json, size_t len) {
    weft_json_key_(o, key);
    weft_json_append_(o, json, len);
}

/* The object closed: malloc'd bytes (not NUL-terminated; `*len` says how many), or NULL when
 * memory ran out. The object is reset. */
static inline char *weft_json_finish(weft_json_object *o, size_t *len) {
    char *out;
    if (o->members == 0) weft_json_append_(o, "{", 1);
    weft_json_append_(o, "}", 1);
    if (o->failed) {
        free(o->ptr);
        *o = (weft_json_object){0};
        return NULL;
    }
    out = o->ptr;
    *len = o->len;
    *o = (weft_json_object){0};
    return out;
}

/* Throw away an object that will not be finished. */
static inline void weft_json_discard(weft_json_object *o) {
    free(o->ptr);
    *o = (weft_json_object){0};
}

#endif /* WEFT_JSON_H */
