/**
 * The `hello_ts` DAG: Weft's `hello` example, written in TypeScript on Weft's SDK.
 *
 * Six tasks, `t1 >> [t2, t3] >> t4`, and `fetch` and `query` on their own:
 *
 * - `t1` greets the name given in the run's configuration (`{"name": "..."}`, default
 *   `world`) and returns `{"greeting": "hello, <name>"}`;
 * - `t2` reads t1's output from its upstream outputs and returns the greeting upper-cased,
 *   `{"upper": "HELLO, <NAME>"}`;
 * - `t3` pulls t1's output through XCom, pushes the greeting's length under the key `length`
 *   and returns the greeting reversed, `{"reversed": "..."}`;
 * - `t4` pulls the outputs of t2 and t3 and t3's `length`, and returns them combined,
 *   `{"upper": "...", "reversed": "...", "length": N}`;
 * - `fetch` sends `GET` to the URL given in the run's configuration (`{"url": "..."}`) and
 *   returns `{"status": N, "bytes": N, "body": "<the first 200 characters>"}`; with no `url`
 *   it sends nothing and returns `{}`;
 * - `query` opens the connection `postgres_default` through the host and runs one
 *   parameterised query with the integer given in the run's configuration (`{"number": N}`),
 *   returning `{"rows": [{"answer": N + 1, "database": "<the database's name>"}]}`; with no
 *   `number` it opens nothing and returns `{}`.
 *
 * `fetch` may only reach what it declares, `GET http://127.0.0.1:*` (any port of the loopback
 * address, where a test server listens), and what the operator allows (`wfctl run ...
 * --egress-allow RULE --egress-allow-net 127.0.0.1`). `query` declares the connection
 * `postgres_default`: the host opens it, and the task never sees its password. See README.md.
 */

import { type Context, Dag, PermanentError, chain } from "@weft/sdk";

/** Where `fetch` may send requests, fixed at build time: rules are `[METHODS ][SCHEME://]HOST[:PORT|:*]`. */
const FETCH_EGRESS = ["GET http://127.0.0.1:*"];

/**
 * The connection `query` opens. The operator gives its host, port, database, login and
 * password (`AIRFLOW_CONN_POSTGRES_DEFAULT` for `wfctl run`).
 */
const QUERY_CONNECTION = "postgres_default";

/** The one query `query` runs: `$1` is the run's `number`, sent as a typed integer parameter. */
const QUERY = "SELECT $1::int + 1 AS answer, current_database() AS database";

/** How many characters of the body `fetch` returns. */
const BODY_PREVIEW = 200;

const dag = new Dag("hello_ts", {
  description: "Greets someone in TypeScript: t1 >> [t2, t3] >> t4; fetch GETs a URL; query asks PostgreSQL.",
  schedule: "@daily",
  startDate: "2024-01-01",
  tags: ["example", "typescript"],
});

/** Field `name` of the run's configuration when it is a string; `fallback` when not given. */
function confString(ctx: Context, name: string, fallback?: string): string | undefined {
  const value: unknown = ctx.conf[name] ?? fallback;
  if (value !== undefined && typeof value !== "string") {
    throw new PermanentError(`the run's configuration field \`${name}\` is not a string: ${JSON.stringify(value)}`);
  }
  return value;
}

/** Field `name` of the run's configuration when it is a whole number; undefined when not given. */
function confInteger(ctx: Context, name: string): number | undefined {
  const value: unknown = ctx.conf[name];
  if (value !== undefined && !Number.isSafeInteger(value)) {
    throw new PermanentError(`the run's configuration field \`${name}\` is not an integer: ${JSON.stringify(value)}`);
  }
  return value as number | undefined;
}

/** Greet the name from the run's configuration. */
const t1 = dag.task("t1", (ctx) => {
  const greeting = `hello, ${confString(ctx, "name", "world")}`;
  ctx.log.info("t1: %s", greeting);
  return { greeting };
});

/** Upper-case t1's greeting, handed to the task among its upstream outputs. */
const t2 = dag.task("t2", (ctx, { t1 }) => {
  const greeting = String(t1.greeting);
  ctx.log.info("t2: read %j from the upstream outputs", greeting);
  return { upper: greeting.toUpperCase() };
});

/** Reverse t1's greeting, pulled through XCom, and push its length. */
const t3 = dag.task("t3", (ctx) => {
  const greeting = String(ctx.xcomPull("t1").greeting);
  ctx.log.info("t3: pulled %j through XCom", greeting);
  ctx.xcomPush("length", greeting.length);
  return { reversed: [...greeting].reverse().join("") };
});

/** Combine the outputs of t2 and t3 and the length t3 pushed. */
const t4 = dag.task("t4", (ctx) => {
  const combined = {
    upper: ctx.xcomPull("t2").upper,
    reversed: ctx.xcomPull("t3").reversed,
    length: ctx.xcomPull("t3", "length"),
  };
  ctx.log.info("t4: combined %j", combined);
  return combined;
});

/** GET the run's `url`, if it gives one, and return the response's status and body. */
dag.task("fetch", { egress: FETCH_EGRESS }, (ctx) => {
  const url = confString(ctx, "url");
  if (url === undefined) {
    ctx.log.info("fetch: no `url` in the run's configuration, nothing to fetch");
    return {};
  }
  const response = ctx.http.get(url);
  ctx.log.info("fetch: GET %s answered %d with %d bytes", url, response.status, response.body.length);
  return { status: response.status, bytes: response.body.length, body: response.text().slice(0, BODY_PREVIEW) };
});

/** Run `QUERY` on `postgres_default` with the run's `number`, if it gives one, and return its rows. */
dag.task("query", { connections: [QUERY_CONNECTION] }, (ctx) => {
  const number = confInteger(ctx, "number");
  if (number === undefined) {
    ctx.log.info("query: no `number` in the run's configuration, nothing to query");
    return {};
  }
  using db = ctx.sql(QUERY_CONNECTION);
  const rows = db.query(QUERY, [number]);
  ctx.log.info("query: %d row(s) from `%s`", rows.length, QUERY_CONNECTION);
  return { rows };
});

chain(t1, [t2, t3], t4);

export default dag;
