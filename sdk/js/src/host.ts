/**
 * What a task asks of the host, in plain TypeScript: the seam between the SDK and the WIT
 * imports.
 *
 * Inside a component, `component.ts` implements `Host` with the imports componentize-js
 * provides (`weft:dag/xcom@0.6.0`, ...); `testing.ts`'s `FakeHost` implements it in memory
 * for unit tests. Every method throws the SDK's own errors (`XComError`, `AccessError`,
 * `SqlError`, `HttpError`, `TriggerError`), never the bindings'.
 *
 * @module
 */

/** Severity of a task log line. */
export type LogLevel = "trace" | "debug" | "info" | "warn" | "error";

/** The `task-context` record of one attempt. */
export interface TaskContextData {
  dagId: string;
  taskId: string;
  runId: string;
  /** RFC 3339. */
  logicalDate: string;
  dataIntervalStart: string;
  dataIntervalEnd: string;
  /** This attempt's number, from 1. */
  tryNumber: number;
  /** How many attempts the task may have in all. */
  maxTries: number;
  /** The run's configuration, a JSON document. */
  conf: string;
  mapIndex?: number;
  /** The instance's item when the task is mapped, JSON. */
  mapItem?: Uint8Array;
  /** What happened, a JSON document, when a deferred task runs again. */
  event?: string;
}

/** Where the attempt runs. */
export interface WorkerInfo {
  workerId: string;
  hostname: string;
  queue: string;
}

/** The fields of a `Connection`. */
export interface ConnectionFields {
  connId: string;
  connType: string;
  host?: string;
  port?: number;
  schema?: string;
  login?: string;
  password?: string;
  /** Further settings, a JSON object. */
  extra?: string;
}

/**
 * A connection to an outside system (Airflow's), as a task reads it. The host leaves out
 * the password of a connection it opens itself (SQL). The password never reaches a log
 * through `String(connection)` or `JSON.stringify(connection)`.
 */
export class Connection {
  readonly connId: string;
  readonly connType: string;
  readonly host: string | undefined;
  readonly port: number | undefined;
  readonly schema: string | undefined;
  readonly login: string | undefined;
  readonly password: string | undefined;
  /** Further settings, as a JSON object's text (`{}` when none). */
  readonly extra: string;

  constructor(fields: ConnectionFields) {
    this.connId = fields.connId;
    this.connType = fields.connType;
    this.host = fields.host;
    this.port = fields.port;
    this.schema = fields.schema;
    this.login = fields.login;
    this.password = fields.password;
    this.extra = fields.extra ?? "{}";
  }

  /** `extra` as an object (Airflow's `extra_dejson`); `{}` when it is not a JSON object. */
  get extraJson(): Record<string, unknown> {
    try {
      const value: unknown = JSON.parse(this.extra || "{}");
      return value !== null && typeof value === "object" && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
    } catch {
      return {};
    }
  }

  /**
   * The URL of an HTTP API, as Airflow's `HttpHook` makes it: `host` when it holds a scheme
   * (`https://api.example.com`), else `SCHEMA://HOST[:PORT]` with `schema` defaulting to `http`.
   */
  get baseUrl(): string {
    const host = (this.host ?? "").replace(/\/+$/, "");
    if (host.includes("://")) {
      return host;
    }
    const port = this.port === undefined ? "" : `:${this.port}`;
    return `${this.schema || "http"}://${host}${port}`;
  }

  /** The connection with its password hidden. */
  toJSON(): Record<string, unknown> {
    return {
      connId: this.connId,
      connType: this.connType,
      host: this.host,
      port: this.port,
      schema: this.schema,
      login: this.login,
      password: this.password === undefined ? undefined : "***",
      extra: this.extra,
    };
  }

  toString(): string {
    return `Connection ${JSON.stringify(this.toJSON())}`;
  }
}

/** An outgoing request: an absolute `http`/`https` URL, headers as pairs, a body. */
export interface HttpRequest {
  /** Upper case: `GET`, `POST`, ... */
  method: string;
  url: string;
  headers: Array<[string, string]>;
  body?: Uint8Array;
  timeoutMs?: number;
}

/** What came back: the status, the headers as pairs, the whole body. */
export interface HttpReply {
  status: number;
  headers: Array<[string, string]>;
  body: Uint8Array;
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

/** A run of another DAG to create. */
export interface TriggerRequest {
  dagId: string;
  /** The run's configuration, a JSON object's text; none means `{}`. */
  conf?: string;
  logicalDate?: string;
  runId?: string;
}

/** The host calls a task can make. */
export interface Host {
  /** Write a line to the attempt's log. */
  log(level: LogLevel, message: string): void;
  /** Push `value` under `key` for the calling task instance. */
  xcomPush(key: string, value: Uint8Array): void;
  /** The value `taskId` pushed under `key` (its output when none), if any. */
  xcomPull(taskId: string, key: string | undefined): Uint8Array | undefined;
  /** Variable `key`, if set. */
  variable(key: string): string | undefined;
  /** Connection `connId`, which the task must declare. */
  connection(connId: string): Connection;
  /** Secret `name`, which the task must declare. */
  secret(name: string): string;
  /** A session on the declared SQL connection `connId`. */
  sqlOpen(connId: string): SqlSession;
  /** Send `request` under the egress policy and read the whole response. */
  httpSend(request: HttpRequest): HttpReply;
  /** Create a run of another DAG of the same tenant; its run id. */
  trigger(request: TriggerRequest): string;
  /** Attach `extra` (a JSON object's text) to the event outlet `uri` gets on success. */
  setAssetExtra(uri: string, extra: string): void;
  /** The worker and queue running the attempt. */
  worker(): WorkerInfo;
}
