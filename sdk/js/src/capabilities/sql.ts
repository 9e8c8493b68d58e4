/**
 * SQL through the host: `using db = ctx.sql("postgres_default"); db.query(...)`.
 *
 * The host opens the connection the task declares; the task never sees its password.
 * Parameters are written `$1`, `$2`, ... for PostgreSQL and `?` for MySQL and MariaDB, and
 * passed as JavaScript values; rows come back as objects keyed by column name.
 *
 * | JavaScript parameter | sent as |
 * | --- | --- |
 * | `null`, `undefined` | NULL |
 * | `boolean` | boolean |
 * | `number`, whole | int (64 bits) |
 * | `number`, fractional | float |
 * | `bigint` | int, or decimal past 64 bits |
 * | `string` | text |
 * | `Uint8Array` | bytes |
 * | `Date` | timestamp (UTC) |
 * | plain object or array, `new Json(value)` | json |
 *
 * | column | JavaScript value |
 * | --- | --- |
 * | int | `number`, or `bigint` past 2^53 |
 * | float | `number` |
 * | numeric/decimal | `string` (exact) |
 * | timestamptz | `Date` |
 * | timestamp, date, time, uuid | `string` |
 * | json, jsonb | the parsed value |
 * | bytea, blob | `Uint8Array` |
 *
 * The capability: `ctx.sql(connId)`, over the host call `sqlOpen` and the session's own
 * calls. `FakeHost` has no fake database: its `sql` option (a function of a connection id to
 * a `SqlSession`) opens sessions, and without it every open fails (`NotFound`).
 *
 * @module
 */

import type { Session as WitSession, SqlError as SqlErrorRecord } from "weft:dag/sql@0.6.0";

import { defineCapability, drop, host, payload } from "../capability.js";
import { show } from "../durations.js";
import { PermanentError, SqlError } from "../errors.js";
import { caseName } from "../records.js";

declare module "../context.js" {
  interface Context {
    /**
     * A session on the SQL connection `connId`, which the task declares; the host opens it,
     * and the task never sees its password. Close it when done (`using db = ctx.sql(...)`).
     */
    sql(connId: string): Session;
  }
}

declare module "../host.js" {
  interface Host {
    /** A session on the declared SQL connection `connId`. */
    sqlOpen(connId: string): SqlSession;
  }
}

declare module "../testing.js" {
  interface FakeHostOptions {
    /** Opens SQL sessions; without it, every open fails (`NotFound`). */
    sql?: (connId: string) => SqlSession;
  }
}

/** One SQL value as it crosses the seam, in the shape of the WIT `sql-value` variant. */
export type SqlValue =
  | { tag: "null" }
  | { tag: "boolean"; val: boolean }
  | { tag: "int"; val: bigint }
  | { tag: "float"; val: number }
  | { tag: "text"; val: string }
  | { tag: "bytes"; val: Uint8Array }
  | { tag: "decimal"; val: string }
  | { tag: "timestamp"; val: string }
  | { tag: "datetime"; val: string }
  | { tag: "date"; val: string }
  | { tag: "time"; val: string }
  | { tag: "uuid"; val: string }
  | { tag: "json"; val: string };

/** The column names and every row of a query. */
export interface SqlRows {
  columns: string[];
  rows: SqlValue[][];
}

/** An open session on one connection. */
export interface SqlSession {
  query(statement: string, params: SqlValue[]): SqlRows;
  /** The number of rows affected. */
  execute(statement: string, params: SqlValue[]): number;
  begin(): void;
  commit(): void;
  rollback(): void;
  /** End the session; a transaction still open is rolled back. */
  close(): void;
}


/**
 * A parameter sent as a JSON document (`json`/`jsonb`). Objects and arrays are sent as JSON
 * without it; wrap a string or number to send it as JSON rather than as text.
 */
export class Json {
  constructor(readonly value: unknown) {}
}

const S64_MIN = -(1n << 63n);
const S64_MAX = (1n << 63n) - 1n;

/** A JavaScript value as a SQL parameter; a value of another type is refused with a `TypeError`. */
function toSql(value: unknown): SqlValue {
  if (value === null || value === undefined) {
    return { tag: "null" };
  }
  switch (typeof value) {
    case "boolean":
      return { tag: "boolean", val: value };
    case "number":
      if (Number.isSafeInteger(value)) {
        return { tag: "int", val: BigInt(value) };
      }
      if (!Number.isFinite(value)) {
        throw new TypeError(`a SQL parameter cannot be ${value}`);
      }
      return { tag: "float", val: value };
    case "bigint":
      return value < S64_MIN || value > S64_MAX ? { tag: "decimal", val: value.toString() } : { tag: "int", val: value };
    case "string":
      return { tag: "text", val: value };
  }
  if (value instanceof Uint8Array) {
    return { tag: "bytes", val: value };
  }
  if (value instanceof Date) {
    if (Number.isNaN(value.getTime())) {
      throw new TypeError("a SQL parameter cannot be an invalid Date");
    }
    return { tag: "timestamp", val: value.toISOString() };
  }
  if (value instanceof Json) {
    return { tag: "json", val: JSON.stringify(value.value) ?? "null" };
  }
  if (Array.isArray(value) || Object.getPrototypeOf(value) === Object.prototype) {
    return { tag: "json", val: JSON.stringify(value) };
  }
  throw new TypeError(`a SQL parameter cannot be ${show(value)}`);
}

/** A column's value as JavaScript (see the module's table). */
function fromSql(value: SqlValue): unknown {
  switch (value.tag) {
    case "null":
      return null;
    case "int":
      return value.val >= BigInt(Number.MIN_SAFE_INTEGER) && value.val <= BigInt(Number.MAX_SAFE_INTEGER)
        ? Number(value.val)
        : value.val;
    case "timestamp":
      return new Date(value.val);
    case "json":
      return JSON.parse(value.val);
    default:
      return value.val;
  }
}

/** One row of a query, keyed by column name. */
export type Row = Record<string, any>;

/**
 * A session on one connection. Close it when done (`using` does, as does `close()`); a
 * transaction still open is rolled back then, and when the attempt ends.
 */
export class Session implements Disposable {
  constructor(
    readonly connId: string,
    private readonly session: SqlSession,
  ) {}

  /** Run `statement` and return every row as an object keyed by column name. */
  query<T extends Row = Row>(statement: string, params: readonly unknown[] = []): T[] {
    const { columns, rows } = this.session.query(statement, params.map(toSql));
    return rows.map((row) => Object.fromEntries(columns.map((name, i) => [name, fromSql(row[i] ?? { tag: "null" })])) as T);
  }

  /** Run `statement`; the number of rows it affected. */
  execute(statement: string, params: readonly unknown[] = []): number {
    return this.session.execute(statement, params.map(toSql));
  }

  /** Begin a transaction. */
  begin(): void {
    this.session.begin();
  }

  /** Commit the transaction. */
  commit(): void {
    this.session.commit();
  }

  /** Roll the transaction back. */
  rollback(): void {
    this.session.rollback();
  }

  /** End the session. */
  close(): void {
    this.session.close();
  }

  [Symbol.dispose](): void {
    this.close();
  }
}

// --- inside a component: weft:dag/sql ----------------------------------------------------------

/** SQLSTATE classes another attempt may not meet: 08 (connection exception) and 40 (serialization failure, deadlock). */
const SQLSTATE_TRANSIENT = ["08", "40"];

/** A SQL call's error: retryable for `connect` and `timeout` and transient SQLSTATEs, permanent otherwise. */
function sqlError(error: unknown, action: string): SqlError {
  const reason = payload<SqlErrorRecord>(error);
  const name = caseName(reason.tag);
  if (reason.tag === "database") {
    const code = reason.val.code;
    const transient = code !== undefined && SQLSTATE_TRANSIENT.some((c) => code.startsWith(c));
    return new SqlError(`${action} failed: ${name} [${code ?? "?"}]: ${reason.val.message}`, {
      kind: transient ? "retryable" : "permanent",
      case: name,
      code,
    });
  }
  const kind = reason.tag === "connect" || reason.tag === "timeout" ? "retryable" : "permanent";
  return new SqlError(`${action} failed: ${name}: ${reason.val}`, { kind, case: name });
}

/** A `weft:dag/sql` session behind the SDK's `SqlSession`. */
class GuestSession implements SqlSession {
  private session: WitSession | undefined;

  constructor(
    private readonly connId: string,
    session: WitSession,
  ) {
    this.session = session;
  }

  private call<T>(action: string, run: (session: WitSession) => T): T {
    if (this.session === undefined) {
      throw new PermanentError(`${action} on \`${this.connId}\`: the session is closed`);
    }
    try {
      return run(this.session);
    } catch (error) {
      throw sqlError(error, `${action} on \`${this.connId}\``);
    }
  }

  query(statement: string, params: SqlValue[]): SqlRows {
    const rows = this.call("query", (s) => s.query(statement, params));
    return { columns: rows.columns.map((c) => c.name), rows: rows.rows };
  }

  execute(statement: string, params: SqlValue[]): number {
    return Number(this.call("execute", (s) => s.execute(statement, params)));
  }

  begin(): void {
    this.call("begin", (s) => s.begin());
  }

  commit(): void {
    this.call("commit", (s) => s.commit());
  }

  rollback(): void {
    this.call("rollback", (s) => s.rollback());
  }

  close(): void {
    drop(this.session);
    this.session = undefined;
  }
}

defineCapability({
  name: "sql",
  context: {
    sql(connId: string): Session {
      return new Session(connId, host(this).sqlOpen(connId));
    },
  },
  guest: (wit) => ({
    sqlOpen(connId) {
      try {
        return new GuestSession(connId, wit.sql.open(connId));
      } catch (error) {
        throw sqlError(error, `opening \`${connId}\``);
      }
    },
  }),
  fake: (_fake, options) => ({
    sqlOpen(connId) {
      if (options.sql === undefined) {
        throw new SqlError(`opening \`${connId}\` failed: NotFound: no SQL in this test`, { kind: "permanent", case: "NotFound" });
      }
      return options.sql(connId);
    },
  }),
});
