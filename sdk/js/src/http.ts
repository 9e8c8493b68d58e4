/**
 * Outgoing HTTP from a task: `ctx.http.get(url)`, `ctx.http.post(url, { json })`.
 *
 * Every request is checked by the host against the task's egress rules and the operator's;
 * one outside them fails with `HttpError` (code `HttpRequestDenied`, permanent). Redirects
 * are not followed: each hop is a request the task makes, and the policy checks. A response
 * is read whole before it is returned.
 *
 * @module
 */

import { type Duration, milliseconds, show } from "./durations.js";
import { HttpError } from "./errors.js";
import type { Host, HttpReply } from "./host.js";
import { encodeText } from "./json.js";

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
