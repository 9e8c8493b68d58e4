/**
 * Outgoing HTTP from a task: `ctx.http.get(url)`, `ctx.http.post(url, { json })`.
 *
 * Every request is checked by the host against the task's egress rules and the operator's;
 * one outside them fails with `HttpError` (code `HttpRequestDenied`, permanent). Redirects
 * are not followed: each hop is a request the task makes, and the policy checks. A response
 * is read whole before it is returned.
 *
 * The capability: `ctx.http`, over the host call `httpSend` (wasi:http's outgoing handler
 * inside a component). `FakeHost` has no fake network: its `http` option (a function of an
 * `HttpRequest` to an `HttpReply`) answers, and without it every request is denied.
 *
 * @module
 */

import type { StreamError } from "wasi:io/streams@0.2.12";
import type { ErrorCode, IncomingResponse, Method, OutgoingBody, OutgoingRequest, RequestOptions as WitRequestOptions } from "wasi:http/types@0.2.12";

import { type WitImports, defineCapability, drop, host, payload } from "../capability.js";
import { type Duration, milliseconds, show } from "../durations.js";
import { HttpError } from "../errors.js";
import type { Host } from "../host.js";
import { encodeText } from "../json.js";
import { inspect } from "../logs.js";
import { caseName } from "../records.js";

declare module "../context.js" {
  interface Context {
    /** Outgoing HTTP under the egress policy: `ctx.http.get(url)`. */
    readonly http: Http;
  }
}

declare module "../host.js" {
  interface Host {
    /** Send `request` under the egress policy and read the whole response. */
    httpSend(request: HttpRequest): HttpReply;
  }
}

declare module "../testing.js" {
  interface FakeHostOptions {
    /** Answers outgoing requests; without it, every request is denied (`HttpRequestDenied`). */
    http?: (request: HttpRequest) => HttpReply;
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


/** Error statuses another attempt would meet again: the request itself is wrong. */
const PERMANENT_STATUSES = new Set([400, 401, 403, 404, 405, 409, 410, 411, 413, 414, 415, 422]);

const decoder = new TextDecoder("utf-8");
const encoder = new TextEncoder();

/** A response read to its end. */
export class Response {
  /** The URL the request was sent to. */
  readonly url: string;
  readonly status: number;
  /** The headers, names in lower case; a header sent several times has its values joined by `, `. */
  readonly headers: Readonly<Record<string, string>>;
  /** The whole body. */
  readonly body: Uint8Array;

  constructor(url: string, reply: HttpReply) {
    this.url = url;
    this.status = reply.status;
    const headers: Record<string, string> = {};
    for (const [name, value] of reply.headers) {
      const key = name.toLowerCase();
      headers[key] = key in headers ? `${headers[key]}, ${value}` : value;
    }
    this.headers = headers;
    this.body = reply.body;
  }

  /** Whether the status is below 400. */
  get ok(): boolean {
    return this.status < 400;
  }

  /** The body decoded as UTF-8 (undecodable bytes replaced). */
  text(): string {
    return decoder.decode(this.body);
  }

  /** The body parsed as JSON; a body that is not JSON fails the task permanently. */
  json<T = any>(): T {
    try {
      return JSON.parse(this.text()) as T;
    } catch (error) {
      throw new HttpError(`the response of ${this.url} is not JSON: ${error instanceof Error ? error.message : String(error)}`, {
        kind: "permanent",
        status: this.status,
        cause: error,
      });
    }
  }

  /**
   * This response, unless its status is 400 or more: then an `HttpError`, permanent for a
   * request the server refuses as wrong (400, 404, ...) and retryable otherwise (429, 5xx).
   */
  raiseForStatus(): this {
    if (this.status >= 400) {
      const kind = PERMANENT_STATUSES.has(this.status) ? "permanent" : "retryable";
      throw new HttpError(`${this.url} answered ${this.status}`, { kind, status: this.status });
    }
    return this;
  }
}

/** What a request may carry besides its method and URL. */
export interface RequestOptions {
  /** Added to the URL's query. */
  params?: Record<string, string | number | boolean | ReadonlyArray<string | number | boolean>>;
  headers?: Record<string, string>;
  /** The body: text (sent as UTF-8) or bytes. */
  body?: string | Uint8Array;
  /** A value sent as a JSON body, with `content-type: application/json` unless given. */
  json?: unknown;
  /** Bounds the wait for the connection and for the first byte, each. */
  timeout?: Duration;
}

/** Requests through the host. */
export class Http {
  constructor(private readonly host: Host) {}

  /** Send `method` to `url` and read the whole response. */
  request(method: string, url: string, options: RequestOptions = {}): Response {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      throw new HttpError(`not an absolute http or https URL: ${show(url)}`, { kind: "permanent" });
    }
    if (parsed.protocol !== "http:" && parsed.protocol !== "https:") {
      throw new HttpError(`not an absolute http or https URL: ${show(url)}`, { kind: "permanent" });
    }
    for (const [name, value] of Object.entries(options.params ?? {})) {
      for (const item of Array.isArray(value) ? value : [value]) {
        parsed.searchParams.append(name, String(item));
      }
    }
    const target = parsed.toString();
    const headers: Array<[string, string]> = Object.entries(options.headers ?? {}).map(([n, v]) => [n, String(v)]);
    let body: Uint8Array | undefined;
    if (options.json !== undefined) {
      if (options.body !== undefined) {
        throw new TypeError(`${method} ${target}: give body or json, not both`);
      }
      body = encoder.encode(encodeText(options.json, `the JSON body of ${method} ${target}`));
      if (!headers.some(([name]) => name.toLowerCase() === "content-type")) {
        headers.push(["content-type", "application/json"]);
      }
    } else if (options.body !== undefined) {
      body = typeof options.body === "string" ? encoder.encode(options.body) : options.body;
    }
    // A body of known length is declared, not chunked: some servers (S3 among them) refuse a
    // request body without a Content-Length.
    if (body !== undefined && !headers.some(([name]) => name.toLowerCase() === "content-length")) {
      headers.push(["content-length", String(body.length)]);
    }
    const reply = this.host.httpSend({
      method: method.toUpperCase(),
      url: target,
      headers,
      body,
      timeoutMs: options.timeout === undefined ? undefined : milliseconds(options.timeout, "timeout"),
    });
    return new Response(target, reply);
  }

  /** `GET url`. */
  get(url: string, options?: RequestOptions): Response {
    return this.request("GET", url, options);
  }

  /** `HEAD url`. */
  head(url: string, options?: RequestOptions): Response {
    return this.request("HEAD", url, options);
  }

  /** `POST url`. */
  post(url: string, options?: RequestOptions): Response {
    return this.request("POST", url, options);
  }

  /** `PUT url`. */
  put(url: string, options?: RequestOptions): Response {
    return this.request("PUT", url, options);
  }

  /** `PATCH url`. */
  patch(url: string, options?: RequestOptions): Response {
    return this.request("PATCH", url, options);
  }

  /** `DELETE url`. */
  delete(url: string, options?: RequestOptions): Response {
    return this.request("DELETE", url, options);
  }
}

// --- inside a component: wasi:http -------------------------------------------------------------

/** Host error codes another attempt would meet again: refusals and malformed requests. */
const HTTP_REFUSALS = new Set(["HTTP-request-denied", "destination-IP-prohibited", "HTTP-request-URI-invalid", "HTTP-request-method-invalid"]);

/** A request's error code from the host: permanent for refusals, retryable otherwise. */
function httpError(code: ErrorCode, request: Pick<HttpRequest, "method" | "url">): HttpError {
  const name = caseName(code.tag);
  const detail = "val" in code && code.val !== undefined ? ` (${inspect(code.val)})` : "";
  const kind = HTTP_REFUSALS.has(code.tag) ? "permanent" : "retryable";
  return new HttpError(`${request.method} ${request.url} failed: ${name}${detail}`, { kind, code: name });
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
function outgoing(wit: WitImports, request: HttpRequest): OutgoingRequest {
  const url = new URL(request.url);
  try {
    const fields = wit.wasiHttpTypes.Fields.fromList(request.headers.map(([name, value]) => [name, headerBytes(value)]));
    const out = new wit.wasiHttpTypes.OutgoingRequest(fields);
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
function writeBody(wit: WitImports, body: OutgoingBody, data: Uint8Array, request: HttpRequest): void {
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
  wit.wasiHttpTypes.OutgoingBody.finish(body, undefined);
}

/** Read the response's body to its end. */
function readBody(wit: WitImports, response: IncomingResponse, request: HttpRequest): Uint8Array {
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
        const code = wit.wasiHttpTypes.httpErrorCode(failure.val);
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

defineCapability({
  name: "http",
  context: {
    get http(): Http {
      return new Http(host(this));
    },
  },
  guest: (wit) => ({
    httpSend(request) {
      const out = outgoing(wit, request);
      // The body is taken before `handle` consumes the request, and written after.
      const body = request.body === undefined ? undefined : out.body();
      let options: WitRequestOptions | undefined;
      if (request.timeoutMs !== undefined) {
        options = new wit.wasiHttpTypes.RequestOptions();
        options.setConnectTimeout(BigInt(request.timeoutMs) * NS_PER_MS);
        options.setFirstByteTimeout(BigInt(request.timeoutMs) * NS_PER_MS);
      }
      let future;
      try {
        future = wit.wasiHttpOutgoingHandler.handle(out, options);
      } catch (error) {
        // Refused before it left, e.g. HttpRequestDenied.
        drop(body);
        throw httpError(payload(error), request);
      }
      if (body !== undefined && request.body !== undefined) {
        try {
          writeBody(wit, body, request.body, request);
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
        return { status, headers, body: readBody(wit, response, request) };
      } finally {
        drop(response);
      }
    },
  }),
  fake: (_fake, options) => ({
    httpSend(request) {
      if (options.http === undefined) {
        throw new HttpError(`${request.method} ${request.url} failed: HttpRequestDenied`, {
          kind: "permanent",
          code: "HttpRequestDenied",
        });
      }
      return options.http(request);
    },
  }),
});
