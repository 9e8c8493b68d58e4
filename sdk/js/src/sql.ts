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
 * @module
 */

import { show } from "./durations.js";
import type { SqlSession, SqlValue } from "./host.js";

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
export function toSql(value: unknown): SqlValue {
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
export function fromSql(value: SqlValue): unknown {
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
