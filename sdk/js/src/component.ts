/**
 * The component's side of the seam: `Host` over the WIT imports, and the `dag` world's
 * exports built from the project's `Dag`. Only loadable inside a component, where
 * componentize-js provides the `weft:dag/*` and `wasi:*` modules; `wfctl build` writes the
 * entry module that calls `exportDag`:
 *
 * ```js
 * import * as app from "./src/app.ts";
 * import { exportDag } from "@weft/sdk/component";
 * const world = exportDag(app, "src/app.ts");
 * export function describe() { return world.describe(); }
 * export function runTask(ctx, upstream) { return world.runTask(ctx, upstream); }
 * ```
 *
 * The DAG is checked (`dag.spec()`) when the component is built, as the module's top level
 * runs then: a cycle or a bad setting fails the build.
 *
 * @module
 */

import { write } from "weft:dag/log@0.6.0";
import * as xcom from "weft:dag/xcom@0.6.0";
import * as variables from "weft:dag/variables@0.6.0";
import * as runtime from "weft:dag/runtime@0.6.0";
import * as connections from "weft:dag/connections@0.6.0";
import * as secrets from "weft:dag/secrets@0.6.0";
import * as sql from "weft:dag/sql@0.6.0";
import * as dagRuns from "weft:dag/dag-runs@0.6.0";
import * as assets from "weft:dag/assets@0.6.0";
import { handle } from "wasi:http/outgoing-handler@0.2.12";
import { Fields, OutgoingBody, OutgoingRequest, RequestOptions, httpErrorCode } from "wasi:http/types@0.2.12";
import type { IncomingResponse, Method } from "wasi:http/types@0.2.12";
import type { TaskContext, TaskError as TaskErrorRecord, UpstreamOutput } from "weft:dag/types@0.6.0";
import type { StreamError } from "wasi:io/streams@0.2.12";

import { findDag } from "./dag.js";
import { HttpError, PermanentError } from "./errors.js";
import {
  Connection,
  type Host,
  type HttpReply,
  type HttpRequest,
  type LogLevel,
  type SqlRows,
  type SqlSession,
  type SqlValue,
  type TriggerRequest,
  type WorkerInfo,
} from "./host.js";
import { inspect } from "./logs.js";
import { accessError, dagSpecRecord, failureRecord, httpError, sqlError, triggerError, xcomError } from "./records.js";

/** The `err` value of a failed import call (a `ComponentError`'s `payload`); anything else is rethrown. */
function payload<E>(error: unknown): E {
  if (error !== null && typeof error === "object" && "payload" in error) {
    return (error as { payload: E }).payload;
  }
  throw error;
}

/** Drop a resource now rather than when it is collected; children before their parents. */
function drop(resource: Disposable | undefined): void {
  resource?.[Symbol.dispose]();
}

/** A `weft:dag/sql` session behind the SDK's `SqlSession`. */
class GuestSession implements SqlSession {
  private session: sql.Session | undefined;

  constructor(
    private readonly connId: string,
    session: sql.Session,
  ) {
    this.session = session;
  }

  private call<T>(action: string, run: (session: sql.Session) => T): T {
    if (this.session === undefined) {
      throw new PermanentError(`${action} on \`${this.connId}\`: the session is closed`);
    }
    try {
      return run(this.session);
    } catch (error) {
      throw sqlError(payload(error), `${action} on \`${this.connId}\``);
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

/** Bytes asked of a body stream at a time, and written to one (wasi:io's most per write). */
const READ_SIZE = 64n * 1024n;
const WRITE_SIZE = 4096;
/** Nanoseconds per millisecond, for wasi:http's durations. */
const NS_PER_MS = 1_000_000n;

const METHODS: Record<string, Method> = {
  GET: { tag: "get" },
  HEAD: { tag: "head" },
  POST: { tag: "post" },
  PUT: { tag: "put" },
  DELETE: { tag: "delete" },
  OPTIONS: { tag: "options" },
  PATCH: { tag: "patch" },
};

const encoder = new TextEncoder();

/** A header value as bytes: its characters' codes, as HTTP's Latin-1 has them (UTF-8 past it). */
function headerBytes(value: string): Uint8Array {
  return /^[\u0000-\u00ff]*$/.test(value) ? Uint8Array.from(value, (c) => c.charCodeAt(0)) : encoder.encode(value);
}

/** Header bytes as a string, one character per byte (Latin-1). */
function headerText(bytes: Uint8Array): string {
  let text = "";
  for (const byte of bytes) {
    text += String.fromCharCode(byte);
  }
  return text;
}

/** The wasi:http request for `request`; a header, method or target wasi:http refuses fails permanently. */
function outgoing(request: HttpRequest): OutgoingRequest {
  const url = new URL(request.url);
  try {
    const fields = Fields.fromList(request.headers.map(([name, value]) => [name, headerBytes(value)]));
    const out = new OutgoingRequest(fields);
    out.setMethod(METHODS[request.method] ?? { tag: "other", val: request.method });
    out.setScheme(url.protocol === "https:" ? { tag: "HTTPS" } : { tag: "HTTP" });
    out.setAuthority(url.host);
    out.setPathWithQuery(`${url.pathname || "/"}${url.search}`);
    return out;
  } catch (error) {
    throw new HttpError(`${request.method} ${request.url}: not a valid request: ${inspect(payload(error))}`, { kind: "permanent" });
  }
}

/** Write `data` to the outgoing body and finish it. */
function writeBody(body: OutgoingBody, data: Uint8Array, request: HttpRequest): void {
  const stream = body.write();
  try {
    for (let start = 0; start < data.length; start += WRITE_SIZE) {
      stream.blockingWriteAndFlush(data.subarray(start, start + WRITE_SIZE));
    }
  } catch (error) {
    payload(error);
    throw new HttpError(`${request.method} ${request.url}: sending the body failed`, { kind: "retryable" });
  } finally {
    drop(stream);
  }
  OutgoingBody.finish(body, undefined);
}

/** Read the response's body to its end. */
function readBody(response: IncomingResponse, request: HttpRequest): Uint8Array {
  const chunks: Uint8Array[] = [];
  const body = response.consume();
  const stream = body.stream();
  try {
    for (;;) {
      try {
        chunks.push(stream.blockingRead(READ_SIZE));
      } catch (error) {
        const failure = payload<StreamError>(error);
        if (failure.tag === "closed") {
          break;
        }
        const code = httpErrorCode(failure.val);
        if (code !== undefined) {
          throw httpError(code, request);
        }
        throw new HttpError(`${request.method} ${request.url}: ${failure.val.toDebugString()}`, { kind: "retryable" });
      }
    }
  } finally {
    drop(stream);
    drop(body);
  }
  const all = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let offset = 0;
  for (const chunk of chunks) {
    all.set(chunk, offset);
    offset += chunk.length;
  }
  return all;
}

/** `Host` over the component's imports. */
export class GuestHost implements Host {
  log(level: LogLevel, message: string): void {
    write(level, message);
  }

  xcomPush(key: string, value: Uint8Array): void {
    try {
      xcom.push(key, value);
    } catch (error) {
      throw xcomError(payload(error), `pushing XCom \`${key}\``);
    }
  }

  xcomPull(taskId: string, key: string | undefined): Uint8Array | undefined {
    try {
      return xcom.pull(taskId, key);
    } catch (error) {
      throw xcomError(payload(error), `pulling XCom \`${key ?? "return_value"}\` of \`${taskId}\``);
    }
  }

  variable(key: string): string | undefined {
    return variables.get(key);
  }

  connection(connId: string): Connection {
    try {
      return new Connection(connections.get(connId));
    } catch (error) {
      throw accessError(payload(error), `connection \`${connId}\``);
    }
  }

  secret(name: string): string {
    try {
      return secrets.get(name);
    } catch (error) {
      throw accessError(payload(error), `secret \`${name}\``);
    }
  }

  sqlOpen(connId: string): SqlSession {
    try {
      return new GuestSession(connId, sql.open(connId));
    } catch (error) {
      throw sqlError(payload(error), `opening \`${connId}\``);
    }
  }

  httpSend(request: HttpRequest): HttpReply {
    const out = outgoing(request);
    // The body is taken before `handle` consumes the request, and written after.
    const body = request.body === undefined ? undefined : out.body();
    let options: RequestOptions | undefined;
    if (request.timeoutMs !== undefined) {
      options = new RequestOptions();
      options.setConnectTimeout(BigInt(request.timeoutMs) * NS_PER_MS);
      options.setFirstByteTimeout(BigInt(request.timeoutMs) * NS_PER_MS);
    }
    let future;
    try {
      future = handle(out, options);
    } catch (error) {
      // Refused before it left, e.g. HttpRequestDenied.
      drop(body);
      throw httpError(payload(error), request);
    }
    if (body !== undefined && request.body !== undefined) {
      try {
        writeBody(body, request.body, request);
      } catch (error) {
        drop(future);
        throw error;
      }
    }
    let outcome;
    try {
      const ready = future.subscribe();
      ready.block();
      drop(ready);
      outcome = future.get();
    } finally {
      drop(future);
    }
    if (outcome === undefined || outcome.tag === "err") {
      throw new HttpError(`${request.method} ${request.url}: no response`, { kind: "retryable" });
    }
    if (outcome.val.tag === "err") {
      throw httpError(outcome.val.val, request);
    }
    const response = outcome.val.val;
    try {
      const status = response.status();
      const fields = response.headers();
      const headers = fields.entries().map(([name, value]): [string, string] => [name, headerText(value)]);
      drop(fields);
      return { status, headers, body: readBody(response, request) };
    } finally {
      drop(response);
    }
  }

  trigger(request: TriggerRequest): string {
    try {
      return dagRuns.trigger(request);
    } catch (error) {
      throw triggerError(payload(error), request.dagId);
    }
  }

  setAssetExtra(uri: string, extra: string): void {
    try {
      assets.setExtra(uri, extra);
    } catch (error) {
      throw new PermanentError(`the extra of asset \`${uri}\`: ${payload<string>(error)}`);
    }
  }

  worker(): WorkerInfo {
    return runtime.worker();
  }
}

/** What the component exports: the `dag` world's `describe` and `run-task`. */
export interface DagExports {
  describe(): unknown;
  runTask(ctx: TaskContext, upstream: UpstreamOutput[]): Promise<{ tag: "ok"; val: Uint8Array } | { tag: "err"; val: TaskErrorRecord }>;
}

/**
 * The world's exports for the `Dag` that `app` (the project's entry module) exports. The DAG
 * is described, and so checked, now: at build time, when the module's top level runs.
 */
export function exportDag(app: Record<string, unknown>, entry = "the entry module"): DagExports {
  const dag = findDag(app, entry);
  const described = dagSpecRecord(dag.spec());
  const host = new GuestHost();
  return {
    describe: () => described,
    async runTask(ctx, upstream) {
      const outputs = new Map(upstream.map((u) => [u.taskId, u.value] as const));
      try {
        return { tag: "ok", val: await dag.runTask(host, ctx, outputs) };
      } catch (error) {
        return { tag: "err", val: failureRecord(error) };
      }
    },
  };
}
