// HTTP and SQL through the in-memory host: requests as the host receives them, responses and
// rows as a task reads them, value conversions both ways, and the host's error codes as the
// SDK's errors.

import assert from "node:assert/strict";
import { describe, test } from "node:test";

import { Connection, Dag, HttpError, Json, SqlError } from "../src/index.js";
import type { HttpReply, HttpRequest, SqlRows, SqlSession, SqlValue } from "../src/host.js";
import { accessError, caseName, httpError, sqlError, triggerError, xcomError } from "../src/records.js";
import { fromSql, toSql } from "../src/sql.js";
import { FakeHost, runTask } from "../src/testing.js";

const text = (bytes: Uint8Array | undefined) => (bytes === undefined ? undefined : new TextDecoder().decode(bytes));
const reply = (status: number, body: string, headers: Array<[string, string]> = []): HttpReply => ({
  status,
  headers,
  body: new TextEncoder().encode(body),
});

describe("HTTP", () => {
  test("a request carries its method, query, headers and JSON body; the response reads as text and JSON", async () => {
    const sent: HttpRequest[] = [];
    const host = new FakeHost({
      http: (request) => {
        sent.push(request);
        return reply(201, '{"id": 7}', [
          ["Content-Type", "application/json"],
          ["set-thing", "a"],
          ["Set-Thing", "b"],
        ]);
      },
    });
    const dag = new Dag("http");
    dag.task("t", (ctx) => {
      const response = ctx.http.post("https://api.example.com/items?x=1", {
        params: { page: 2, tag: ["a", "b"] },
        headers: { authorization: "Bearer {{secret:token}}" },
        json: { name: "Ada" },
        timeout: "10s",
      });
      return { status: response.status, ok: response.ok, headers: response.headers, text: response.text(), json: response.json() };
    });
    assert.deepEqual(await runTask(dag, "t", { host }), {
      status: 201,
      ok: true,
      headers: { "content-type": "application/json", "set-thing": "a, b" },
      text: '{"id": 7}',
      json: { id: 7 },
    });
    const [request] = sent as [HttpRequest];
    assert.equal(request.method, "POST");
    assert.equal(request.url, "https://api.example.com/items?x=1&page=2&tag=a&tag=b");
    assert.deepEqual(request.headers, [
      ["authorization", "Bearer {{secret:token}}"],
      ["content-type", "application/json"],
      ["content-length", "14"],
    ]);
    assert.equal(text(request.body), '{"name":"Ada"}');
    assert.equal(request.timeoutMs, 10_000);
  });

  test("raiseForStatus: permanent for a request the server refuses as wrong, retryable otherwise", async () => {
    const dag = new Dag("status");
    dag.task("t", (ctx) => ctx.http.get(`https://example.com/${ctx.conf.status}`).raiseForStatus().status);
    for (const [status, kind] of [
      [404, "permanent"],
      [429, "retryable"],
      [503, "retryable"],
    ] as const) {
      const host = new FakeHost({ http: (r) => reply(Number(r.url.split("/").pop()), "") });
      await assert.rejects(runTask(dag, "t", { host, conf: { status } }), (error: HttpError) => {
        assert.equal(error.kind, kind);
        assert.equal(error.status, status);
        assert.equal(error.message, `https://example.com/${status} answered ${status}`);
        return true;
      });
    }
    const host = new FakeHost({ http: () => reply(204, "") });
    assert.equal(await runTask(dag, "t", { host, conf: { status: 204 } }), 204);
  });

  test("a URL that is not absolute http(s), a body that is not JSON, and a denied request fail permanently", async () => {
    const dag = new Dag("bad_http");
    dag.task("relative", (ctx) => ctx.http.get("/items"));
    dag.task("ftp", (ctx) => ctx.http.get("ftp://example.com/x"));
    dag.task("not_json", (ctx) => ctx.http.get("https://example.com/").json());
    dag.task("denied", (ctx) => ctx.http.get("http://127.0.0.1:9/"));
    const host = new FakeHost({ http: () => reply(200, "<html>") });
    for (const [id, message] of [
      ["relative", 'not an absolute http or https URL: "/items"'],
      ["ftp", 'not an absolute http or https URL: "ftp://example.com/x"'],
    ]) {
      await assert.rejects(runTask(dag, id as string, { host }), { name: "HttpError", kind: "permanent", message });
    }
    await assert.rejects(runTask(dag, "not_json", { host }), (error: HttpError) => {
      assert.equal(error.kind, "permanent");
      assert.match(error.message, /^the response of https:\/\/example\.com\/ is not JSON: /);
      return true;
    });
    await assert.rejects(runTask(dag, "denied"), { code: "HttpRequestDenied", kind: "permanent" });
  });

  test("the host's error codes: refusals are permanent, the rest retryable, named as the Rust and Python SDKs do", () => {
    const request = { method: "GET", url: "http://127.0.0.1:8000/" };
    const denied = httpError({ tag: "HTTP-request-denied" }, request);
    assert.equal(denied.message, "GET http://127.0.0.1:8000/ failed: HttpRequestDenied");
    assert.deepEqual([denied.kind, denied.code], ["permanent", "HttpRequestDenied"]);
    assert.equal(httpError({ tag: "destination-IP-prohibited" }, request).kind, "permanent");
    const refused = httpError({ tag: "connection-refused" }, request);
    assert.deepEqual([refused.kind, refused.code], ["retryable", "ConnectionRefused"]);
    assert.equal(
      httpError({ tag: "DNS-error", val: { rcode: "NXDOMAIN", infoCode: 3 } }, request).message,
      'GET http://127.0.0.1:8000/ failed: DnsError ({"rcode":"NXDOMAIN","infoCode":3})',
    );
    assert.equal(httpError({ tag: "internal-error", val: "boom" }, request).message, "GET http://127.0.0.1:8000/ failed: InternalError (boom)");
    assert.equal(caseName("destination-IP-unroutable"), "DestinationIpUnroutable");
  });
});

describe("SQL", () => {
  test("parameters: JavaScript values as SQL values", () => {
    const cases: Array<[unknown, SqlValue]> = [
      [null, { tag: "null" }],
      [undefined, { tag: "null" }],
      [true, { tag: "boolean", val: true }],
      [41, { tag: "int", val: 41n }],
      [-1.5, { tag: "float", val: -1.5 }],
      [2 ** 60, { tag: "float", val: 2 ** 60 }],
      [2n ** 62n, { tag: "int", val: 2n ** 62n }],
      [2n ** 64n, { tag: "decimal", val: "18446744073709551616" }],
      ["text", { tag: "text", val: "text" }],
      [new Uint8Array([1, 2]), { tag: "bytes", val: new Uint8Array([1, 2]) }],
      [new Date("2024-05-01T12:30:00+02:00"), { tag: "timestamp", val: "2024-05-01T10:30:00.000Z" }],
      [{ a: [1] }, { tag: "json", val: '{"a":[1]}' }],
      [[1, 2], { tag: "json", val: "[1,2]" }],
      [new Json("a string"), { tag: "json", val: '"a string"' }],
    ];
    for (const [value, expected] of cases) {
      assert.deepEqual(toSql(value), expected, String(value));
    }
    assert.throws(() => toSql(Number.POSITIVE_INFINITY), /a SQL parameter cannot be Infinity/);
    assert.throws(() => toSql(new Map()), /a SQL parameter cannot be a Map/);
  });

  test("columns: SQL values as JavaScript values", () => {
    assert.equal(fromSql({ tag: "null" }), null);
    assert.equal(fromSql({ tag: "int", val: 42n }), 42);
    assert.equal(fromSql({ tag: "int", val: 2n ** 60n }), 2n ** 60n);
    assert.equal(fromSql({ tag: "decimal", val: "1.10" }), "1.10");
    assert.deepEqual(fromSql({ tag: "timestamp", val: "2024-05-01T10:30:00Z" }), new Date("2024-05-01T10:30:00Z"));
    assert.equal(fromSql({ tag: "datetime", val: "2024-05-01T12:30:00" }), "2024-05-01T12:30:00");
    assert.deepEqual(fromSql({ tag: "json", val: '{"a":1}' }), { a: 1 });
    assert.deepEqual(fromSql({ tag: "bytes", val: new Uint8Array([7]) }), new Uint8Array([7]));
  });

  test("a task queries through the host and gets rows as objects; the session is closed", async () => {
    const calls: Array<[string, string, SqlValue[]]> = [];
    let closed = 0;
    const session: SqlSession = {
      query: (statement, params): SqlRows => {
        calls.push(["query", statement, params]);
        return {
          columns: ["answer", "database"],
          rows: [[{ tag: "int", val: 42n }, { tag: "text", val: "weft_sql" }]],
        };
      },
      execute: (statement, params) => {
        calls.push(["execute", statement, params]);
        return 3;
      },
      begin: () => {},
      commit: () => {},
      rollback: () => {},
      close: () => {
        closed++;
      },
    };
    const opened: string[] = [];
    const host = new FakeHost({
      sql: (connId) => {
        opened.push(connId);
        return session;
      },
    });
    const dag = new Dag("sql");
    dag.task("t", { connections: ["postgres_default"] }, (ctx) => {
      using db = ctx.sql("postgres_default");
      const rows = db.query("SELECT $1::int + 1 AS answer, current_database() AS database", [ctx.conf.number]);
      return { rows, updated: db.execute("UPDATE t SET x = $1", ["y"]) };
    });
    assert.deepEqual(await runTask(dag, "t", { host, conf: { number: 41 } }), {
      rows: [{ answer: 42, database: "weft_sql" }],
      updated: 3,
    });
    assert.deepEqual(opened, ["postgres_default"]);
    assert.deepEqual(calls, [
      ["query", "SELECT $1::int + 1 AS answer, current_database() AS database", [{ tag: "int", val: 41n }]],
      ["execute", "UPDATE t SET x = $1", [{ tag: "text", val: "y" }]],
    ]);
    assert.equal(closed, 1);
  });

  test("a connection's base URL is made as Airflow's HttpHook makes it", () => {
    const fields = { connId: "api", connType: "http", extra: "" };
    const url = (more: Partial<ConstructorParameters<typeof Connection>[0]>) => new Connection({ ...fields, ...more }).baseUrl;
    assert.equal(url({ host: "https://api.example.com/" }), "https://api.example.com");
    assert.equal(url({ host: "127.0.0.1", port: 8080 }), "http://127.0.0.1:8080");
    assert.equal(url({ host: "api.example.com", schema: "https" }), "https://api.example.com");
    assert.equal(url({ host: "https://api.example.com", port: 9 }), "https://api.example.com");
  });

  test("the host's SQL errors: connect, timeout and transient SQLSTATEs retry, the rest fail", () => {
    const denied = sqlError({ tag: "denied", val: "tcp://127.0.0.1:5432 is not allowed" }, "opening `pg`");
    assert.ok(denied instanceof SqlError);
    assert.deepEqual([denied.kind, denied.case, denied.message], ["permanent", "Denied", "opening `pg` failed: Denied: tcp://127.0.0.1:5432 is not allowed"]);
    assert.equal(sqlError({ tag: "connect", val: "refused" }, "opening `pg`").kind, "retryable");
    assert.equal(sqlError({ tag: "timeout", val: "5s" }, "query on `pg`").kind, "retryable");
    const unique = sqlError({ tag: "database", val: { code: "23505", message: "duplicate key" } }, "query on `pg`");
    assert.deepEqual([unique.kind, unique.code, unique.message], ["permanent", "23505", "query on `pg` failed: Database [23505]: duplicate key"]);
    assert.equal(sqlError({ tag: "database", val: { code: "40001", message: "serialization" } }, "q").kind, "retryable");
    assert.equal(sqlError({ tag: "database", val: { code: undefined, message: "?" } }, "q").message, "q failed: Database [?]: ?");
  });
});

describe("the host's other errors", () => {
  test("XCom, access and trigger errors: retryable only when a store could not be reached", () => {
    const tooLarge = xcomError({ tag: "too-large", val: 65536n }, "pushing XCom `big`");
    assert.deepEqual([tooLarge.kind, tooLarge.message], ["permanent", "pushing XCom `big` failed: TooLarge: 65536"]);
    assert.equal(xcomError({ tag: "unavailable", val: "redis down" }, "x").kind, "retryable");
    const access = accessError({ tag: "not-declared", val: "pg" }, "connection `pg`");
    assert.deepEqual([access.kind, access.message], ["permanent", "connection `pg`: NotDeclared: pg"]);
    assert.equal(accessError({ tag: "unavailable", val: "vault" }, "secret `s`").kind, "retryable");
    const trigger = triggerError({ tag: "already-exists", val: "r1" }, "other");
    assert.deepEqual([trigger.kind, trigger.case, trigger.message], ["permanent", "AlreadyExists", "triggering DAG `other` failed: AlreadyExists: r1"]);
    assert.equal(triggerError({ tag: "unavailable", val: "" }, "other").kind, "retryable");
  });
});
