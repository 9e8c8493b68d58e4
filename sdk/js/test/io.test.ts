// HTTP and SQL through the in-memory host: requests as the host receives them, responses and
// rows as a task reads them, value conversions both ways, and the host's error codes as the
// SDK's errors.

import assert from "node:assert/strict";
import { describe, test } from "node:test";

import { type WitImports, guestHost } from "../src/capability.js";
import {
  AccessError,
  Connection,
  Dag,
  HttpError,
  type HttpReply,
  type HttpRequest,
  Json,
  SqlError,
  type SqlRows,
  type SqlSession,
  type SqlValue,
  TriggerError,
  XComError,
} from "../src/index.js";
import { caseName } from "../src/records.js";
import { FakeHost, runTask } from "../src/testing.js";

/** The host a component has, over stand-ins for the world's imports (only those a test calls). */
const guest = (imports: Record<string, unknown>) => guestHost(imports as unknown as WitImports);
/** An import call that fails with `err`, as componentize-js throws it: a `ComponentError` with the `err` value as `payload`. */
const failsWith = (err: unknown) => (): never => {
  throw Object.assign(new Error("component error"), { payload: err });
};
/** What `call` throws. */
function thrown<E>(call: () => unknown): E {
  try {
    call();
  } catch (error) {
    return error as E;
  }
  assert.fail("the call did not throw");
}

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
    class OutgoingRequest {
      setMethod(): void {}
      setScheme(): void {}
      setAuthority(): void {}
      setPathWithQuery(): void {}
    }
    const httpError = (code: unknown): HttpError =>
      thrown(() =>
        guest({
          wasiHttpTypes: { Fields: { fromList: () => ({}) }, OutgoingRequest },
          wasiHttpOutgoingHandler: { handle: failsWith(code) },
        }).httpSend({ method: "GET", url: "http://127.0.0.1:8000/", headers: [] }),
      );
    const denied = httpError({ tag: "HTTP-request-denied" });
    assert.ok(denied instanceof HttpError);
    assert.equal(denied.message, "GET http://127.0.0.1:8000/ failed: HttpRequestDenied");
    assert.deepEqual([denied.kind, denied.code], ["permanent", "HttpRequestDenied"]);
    assert.equal(httpError({ tag: "destination-IP-prohibited" }).kind, "permanent");
    const refused = httpError({ tag: "connection-refused" });
    assert.deepEqual([refused.kind, refused.code], ["retryable", "ConnectionRefused"]);
    assert.equal(
      httpError({ tag: "DNS-error", val: { rcode: "NXDOMAIN", infoCode: 3 } }).message,
      'GET http://127.0.0.1:8000/ failed: DnsError ({"rcode":"NXDOMAIN","infoCode":3})',
    );
    assert.equal(httpError({ tag: "internal-error", val: "boom" }).message, "GET http://127.0.0.1:8000/ failed: InternalError (boom)");
    assert.equal(caseName("destination-IP-unroutable"), "DestinationIpUnroutable");
  });
});

describe("SQL", () => {
  /** A session that records the parameters of each statement and answers each query with `rows`. */
  const recording = (params: SqlValue[][], rows: SqlRows = { columns: [], rows: [] }): SqlSession => ({
    query: (_statement, values) => (params.push(values), rows),
    execute: (_statement, values) => (params.push(values), 0),
    begin() {},
    commit() {},
    rollback() {},
    close() {},
  });

  test("parameters: JavaScript values as SQL values", async () => {
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
    const sent: SqlValue[][] = [];
    const dag = new Dag("sql_params");
    dag.task("each", (ctx) => void ctx.sql("pg").execute("q", cases.map(([value]) => value)));
    dag.task("infinity", (ctx) => void ctx.sql("pg").execute("q", [Number.POSITIVE_INFINITY]));
    dag.task("map", (ctx) => void ctx.sql("pg").execute("q", [new Map()]));
    const host = new FakeHost({ sql: () => recording(sent) });
    await runTask(dag, "each", { host });
    assert.deepEqual(sent, [cases.map(([, expected]) => expected)]);
    await assert.rejects(runTask(dag, "infinity", { host }), /a SQL parameter cannot be Infinity/);
    await assert.rejects(runTask(dag, "map", { host }), /a SQL parameter cannot be a Map/);
  });

  test("columns: SQL values as JavaScript values", async () => {
    const cases: Array<[SqlValue, unknown]> = [
      [{ tag: "null" }, null],
      [{ tag: "int", val: 42n }, 42],
      [{ tag: "int", val: 2n ** 60n }, 2n ** 60n],
      [{ tag: "decimal", val: "1.10" }, "1.10"],
      [{ tag: "timestamp", val: "2024-05-01T10:30:00Z" }, new Date("2024-05-01T10:30:00Z")],
      [{ tag: "datetime", val: "2024-05-01T12:30:00" }, "2024-05-01T12:30:00"],
      [{ tag: "json", val: '{"a":1}' }, { a: 1 }],
      [{ tag: "bytes", val: new Uint8Array([7]) }, new Uint8Array([7])],
    ];
    const columns = cases.map((_, i) => `c${i}`);
    const rows: SqlRows = { columns, rows: [cases.map(([value]) => value)] };
    let row: Record<string, unknown> | undefined;
    const dag = new Dag("sql_columns");
    dag.task("read", (ctx) => void (row = ctx.sql("pg").query("q")[0]));
    await runTask(dag, "read", { host: new FakeHost({ sql: () => recording([], rows) }) });
    assert.deepEqual(row, Object.fromEntries(cases.map(([, expected], i) => [columns[i], expected])));
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
    const opening = (err: unknown): SqlError => thrown(() => guest({ sql: { open: failsWith(err) } }).sqlOpen("pg"));
    const querying = (err: unknown): SqlError => {
      const session = { query: failsWith(err), [Symbol.dispose]() {} };
      return thrown(() => guest({ sql: { open: () => session } }).sqlOpen("pg").query("q", []));
    };
    const denied = opening({ tag: "denied", val: "tcp://127.0.0.1:5432 is not allowed" });
    assert.ok(denied instanceof SqlError);
    assert.deepEqual([denied.kind, denied.case, denied.message], ["permanent", "Denied", "opening `pg` failed: Denied: tcp://127.0.0.1:5432 is not allowed"]);
    assert.equal(opening({ tag: "connect", val: "refused" }).kind, "retryable");
    assert.equal(querying({ tag: "timeout", val: "5s" }).kind, "retryable");
    const unique = querying({ tag: "database", val: { code: "23505", message: "duplicate key" } });
    assert.deepEqual([unique.kind, unique.code, unique.message], ["permanent", "23505", "query on `pg` failed: Database [23505]: duplicate key"]);
    assert.equal(querying({ tag: "database", val: { code: "40001", message: "serialization" } }).kind, "retryable");
    assert.equal(querying({ tag: "database", val: { code: undefined, message: "?" } }).message, "query on `pg` failed: Database [?]: ?");
  });
});

describe("the host's other errors", () => {
  test("XCom, access and trigger errors: retryable only when a store could not be reached", () => {
    const pushing = (err: unknown): XComError => thrown(() => guest({ xcom: { push: failsWith(err) } }).xcomPush("big", new Uint8Array()));
    const tooLarge = pushing({ tag: "too-large", val: 65536n });
    assert.ok(tooLarge instanceof XComError);
    assert.deepEqual([tooLarge.kind, tooLarge.message], ["permanent", "pushing XCom `big` failed: TooLarge: 65536"]);
    assert.equal(pushing({ tag: "unavailable", val: "redis down" }).kind, "retryable");
    const access = thrown<AccessError>(() => guest({ connections: { get: failsWith({ tag: "not-declared", val: "pg" }) } }).connection("pg"));
    assert.ok(access instanceof AccessError);
    assert.deepEqual([access.kind, access.message], ["permanent", "connection `pg`: NotDeclared: pg"]);
    const secret = thrown<AccessError>(() => guest({ secrets: { get: failsWith({ tag: "unavailable", val: "vault" }) } }).secret("s"));
    assert.deepEqual([secret.kind, secret.message], ["retryable", "secret `s`: Unavailable: vault"]);
    const triggering = (err: unknown): TriggerError => thrown(() => guest({ dagRuns: { trigger: failsWith(err) } }).trigger({ dagId: "other" }));
    const trigger = triggering({ tag: "already-exists", val: "r1" });
    assert.ok(trigger instanceof TriggerError);
    assert.deepEqual([trigger.kind, trigger.case, trigger.message], ["permanent", "AlreadyExists", "triggering DAG `other` failed: AlreadyExists: r1"]);
    assert.equal(triggering({ tag: "unavailable", val: "" }).kind, "retryable");
  });
});
