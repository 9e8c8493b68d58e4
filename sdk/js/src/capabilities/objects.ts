/**
 * Object storage through the host: `ctx.storage("aws_default").bucket("weft")`.
 *
 * The host opens the bucket through a connection the task declares (type `aws`: S3 and
 * S3-compatible servers) and signs every request with its keys, which the task never sees.
 *
 * ```ts
 * const bucket = ctx.storage("aws_default").bucket("weft");
 * const csv = new TextDecoder().decode(bucket.get("in/customers.csv"));
 * bucket.put("out/summary.json", JSON.stringify(summary), { contentType: "application/json" });
 * using writer = bucket.writer("out/big.bin"); // in parts: any size, little memory
 * for (const chunk of chunks) writer.write(chunk);
 * writer.finish();
 * for (const meta of bucket.list("out/")) console.log(meta.path, meta.size);
 * ```
 *
 * The capability: `ctx.storage(connId)`, over the host call `objectsOpen` and the bucket's
 * own calls. `FakeHost` keeps buckets in memory (its `objects` option: connection id to bucket
 * to key to bytes), with the host's answers, so a task's storage code runs in unit tests.
 *
 * @module
 */

import type {
  Bucket as WitBucket,
  ObjectMeta as WitObjectMeta,
  ObjectsError as ObjectsErrorRecord,
  Reader as WitReader,
  Writer as WitWriter,
} from "weft:dag/objects@0.6.0";

import { defineCapability, drop, host, payload } from "../capability.js";
import { TaskError, type TaskErrorOptions } from "../errors.js";
import { caseName } from "../records.js";

declare module "../context.js" {
  interface Context {
    /**
     * Object storage through the connection `connId` (type `aws`), which the task declares;
     * the host signs the requests, and the task never sees the keys.
     */
    storage(connId: string): Storage;
  }
}

declare module "../host.js" {
  interface Host {
    /** The bucket `bucket` through the declared connection `connId`. */
    objectsOpen(connId: string, bucket: string): ObjectBucket;
  }
}

declare module "../testing.js" {
  interface FakeHostOptions {
    /** Buckets in memory: connection id to bucket name to key to bytes. */
    objects?: Record<string, Record<string, Map<string, Uint8Array>>>;
  }
}

/**
 * An object storage call failed. `case` names it: `NotDeclared`, `NoConnection`,
 * `Unsupported`, `Denied`, `InvalidPath`, `NotFound`, `AlreadyExists`, `Precondition`,
 * `NotModified`, `Limit`, `Timeout`, `State` or `Store`; only `Store` and `Timeout` are worth
 * another attempt.
 */
export class ObjectsError extends TaskError {
  readonly case: string;

  constructor(message: string, options: TaskErrorOptions & { case: string }) {
    super(message, options);
    this.name = "ObjectsError";
    this.case = options.case;
  }
}

/** What the store knows of an object. */
export interface ObjectMeta {
  path: string;
  size: number;
  /** When it was last written, RFC 3339 in UTC. */
  lastModified: string;
  /** Its entity tag, for conditional calls. */
  eTag?: string;
  /** Its version, on stores that keep versions. */
  version?: string;
}

/** What a write made. */
export interface PutResult {
  eTag?: string;
  version?: string;
}

/** A range and conditions for a read. */
export interface GetOptions {
  /** Only bytes `start` to `end`, exclusive. */
  range?: [number, number];
  /** Only if the object's entity tag is this one, else `Precondition`. */
  ifMatch?: string;
  /** Only if the object's entity tag is not this one, else `NotModified`. */
  ifNoneMatch?: string;
}

/** How a write may replace what is there, and what it is. */
export interface PutOptions {
  /** Only if no object has the key, else `AlreadyExists`. */
  create?: boolean;
  /** Only over the object of this entity tag, else `Precondition`. */
  ifMatch?: string;
  contentType?: string;
}

/** A write's mode as it crosses the seam, in the shape of the WIT `put-mode` variant. */
export type PutMode = { tag: "overwrite" } | { tag: "create" } | { tag: "update"; val: string };

/** A reader of one object, a chunk at a time; an empty chunk at the end. */
export interface ObjectReader {
  read(max: number): Uint8Array;
  close(): void;
}

/** A writer of one object: it appears on `finish`, and not at all on `abort`. */
export interface ObjectWriterSeam {
  write(bytes: Uint8Array): void;
  finish(): PutResult;
  abort(): void;
}

/** A bucket as the host (or `FakeHost`) serves it. */
export interface ObjectBucket {
  get(path: string, options: GetOptions): Uint8Array;
  openRead(path: string): [ObjectMeta, ObjectReader];
  put(path: string, bytes: Uint8Array, mode: PutMode, contentType?: string): PutResult;
  openWrite(path: string, contentType?: string): ObjectWriterSeam;
  head(path: string): ObjectMeta;
  list(prefix: string | undefined, startAfter: string | undefined, max: number): [ObjectMeta[], string | undefined];
  delete(path: string): void;
  copy(source: string, target: string, overwrite: boolean): void;
}

/** Objects one listing request asks for. */
const LIST_PAGE = 1000;
/** Bytes one read asks the host for. */
const READ_CHUNK = 1 << 20;

const encoder = new TextEncoder();

function bytesOf(data: Uint8Array | string): Uint8Array {
  return typeof data === "string" ? encoder.encode(data) : data;
}

/** Object storage through one connection (`ctx.storage(connId)`). */
export class Storage {
  constructor(
    readonly connId: string,
    private readonly open: (bucket: string) => ObjectBucket,
  ) {}

  /** The bucket `name`, opened by the host with the connection's keys. */
  bucket(name: string): Bucket {
    return new Bucket(`${this.connId}/${name}`, this.open(name));
  }
}

/** A bucket; keys are `/`-separated paths. */
export class Bucket {
  constructor(
    readonly name: string,
    private readonly bucket: ObjectBucket,
  ) {}

  /** The object at `key` (a range of it, or only under conditions, with `options`). */
  get(key: string, options: GetOptions = {}): Uint8Array {
    return this.bucket.get(key, options);
  }

  /** The object at `key` as UTF-8 text. */
  getText(key: string): string {
    return new TextDecoder().decode(this.get(key));
  }

  /** Write `data` (a string as UTF-8) as the object at `key`, in one request. */
  put(key: string, data: Uint8Array | string, options: PutOptions = {}): PutResult {
    if (options.create && options.ifMatch !== undefined) {
      throw new TypeError("put: `create` and `ifMatch` exclude each other");
    }
    const mode: PutMode = options.create
      ? { tag: "create" }
      : options.ifMatch !== undefined
        ? { tag: "update", val: options.ifMatch }
        : { tag: "overwrite" };
    return this.bucket.put(key, bytesOf(data), mode, options.contentType);
  }

  /** The object at `key` read a chunk at a time, with what the store knows of it. */
  reader(key: string): { meta: ObjectMeta; chunks: Iterable<Uint8Array> & Disposable } {
    const [meta, reader] = this.bucket.openRead(key);
    const chunks = {
      *[Symbol.iterator](): Iterator<Uint8Array> {
        for (;;) {
          const chunk = reader.read(READ_CHUNK);
          if (chunk.length === 0) {
            reader.close();
            return;
          }
          yield chunk;
        }
      },
      [Symbol.dispose]: () => reader.close(),
    };
    return { meta, chunks };
  }

  /** A writer of the object at `key`: it appears on `finish()`, and not at all if disposed first. */
  writer(key: string, options: { contentType?: string } = {}): ObjectWriter {
    return new ObjectWriter(this.bucket.openWrite(key, options.contentType));
  }

  /** What the store knows of the object at `key`. */
  head(key: string): ObjectMeta {
    return this.bucket.head(key);
  }

  /** Whether an object has the key `key`. */
  exists(key: string): boolean {
    try {
      this.bucket.head(key);
      return true;
    } catch (error) {
      if (error instanceof ObjectsError && error.case === "NotFound") {
        return false;
      }
      throw error;
    }
  }

  /** Every object under `prefix`'s segments (`a/b` lists `a/b/c`, not `a/bc`), by key. */
  *list(prefix = ""): Generator<ObjectMeta> {
    const under = prefix.replace(/\/+$/, "") || undefined;
    let startAfter: string | undefined;
    for (;;) {
      const [objects, next] = this.bucket.list(under, startAfter, LIST_PAGE);
      yield* objects;
      if (next === undefined) {
        return;
      }
      startAfter = next;
    }
  }

  /** Delete the object at `key`; deleting one that does not exist succeeds. */
  delete(key: string): void {
    this.bucket.delete(key);
  }

  /** Copy the object at `source` to `target`, replacing what is there unless `overwrite` is false. */
  copy(source: string, target: string, options: { overwrite?: boolean } = {}): void {
    this.bucket.copy(source, target, options.overwrite ?? true);
  }
}

/** An object being written; see `Bucket.writer`. */
export class ObjectWriter implements Disposable {
  private result: PutResult | undefined;

  constructor(private readonly writer: ObjectWriterSeam) {}

  /** Append `data` (a string as UTF-8). */
  write(data: Uint8Array | string): void {
    this.writer.write(bytesOf(data));
  }

  /** Finish the object; what it made. */
  finish(): PutResult {
    this.result ??= this.writer.finish();
    return this.result;
  }

  /** Drops an unfinished object. */
  [Symbol.dispose](): void {
    if (this.result === undefined) {
      this.writer.abort();
    }
  }
}

// --- inside a component: weft:dag/objects ------------------------------------------------------

/** An object call's error: retryable for `store` and `timeout`, permanent otherwise. */
function objectsError(error: unknown, action: string): ObjectsError {
  const reason = payload<ObjectsErrorRecord>(error);
  const name = caseName(reason.tag);
  const kind = reason.tag === "store" || reason.tag === "timeout" ? "retryable" : "permanent";
  return new ObjectsError(`${action}: ${name}: ${reason.val}`, { kind, case: name });
}

function guestCall<T>(action: string, run: () => T): T {
  try {
    return run();
  } catch (error) {
    throw objectsError(error, action);
  }
}

function metaOf(m: WitObjectMeta): ObjectMeta {
  return { path: m.path, size: Number(m.size), lastModified: m.lastModified, eTag: m.eTag, version: m.version };
}

class GuestBucket implements ObjectBucket {
  constructor(
    private readonly bucket: WitBucket,
    private readonly name: string,
  ) {}

  private at(key: string): string {
    return `"${key}" in ${this.name}`;
  }

  get(path: string, options: GetOptions): Uint8Array {
    const range = options.range && { tag: "bounded" as const, val: [BigInt(options.range[0]), BigInt(options.range[1])] as [bigint, bigint] };
    return guestCall(`get ${this.at(path)}`, () =>
      this.bucket.get(path, { range, ifMatch: options.ifMatch, ifNoneMatch: options.ifNoneMatch }),
    );
  }

  openRead(path: string): [ObjectMeta, ObjectReader] {
    const [meta, reader] = guestCall(`open ${this.at(path)}`, () => this.bucket.openRead(path, {}));
    const at = this.at(path);
    let open: WitReader | undefined = reader;
    return [
      metaOf(meta),
      {
        read: (max) => (open === undefined ? new Uint8Array() : guestCall(`reading ${at}`, () => open!.read(max))),
        close: () => {
          drop(open);
          open = undefined;
        },
      },
    ];
  }

  put(path: string, bytes: Uint8Array, mode: PutMode, contentType?: string): PutResult {
    return guestCall(`put ${this.at(path)}`, () => this.bucket.put(path, bytes, mode, contentType));
  }

  openWrite(path: string, contentType?: string): ObjectWriterSeam {
    const at = this.at(path);
    let writer: WitWriter | undefined = guestCall(`open ${at} for writing`, () => this.bucket.openWrite(path, contentType));
    return {
      write: (bytes) => guestCall(`writing ${at}`, () => writer!.write(bytes)),
      finish: () => {
        const done = guestCall(`finishing ${at}`, () => writer!.finish());
        drop(writer);
        writer = undefined;
        return done;
      },
      abort: () => {
        drop(writer); // dropped unfinished: the host aborts it
        writer = undefined;
      },
    };
  }

  head(path: string): ObjectMeta {
    return metaOf(guestCall(`head ${this.at(path)}`, () => this.bucket.head(path)));
  }

  list(prefix: string | undefined, startAfter: string | undefined, max: number): [ObjectMeta[], string | undefined] {
    const page = guestCall(`list "${prefix ?? ""}" in ${this.name}`, () => this.bucket.list(prefix, startAfter, max));
    return [page.objects.map(metaOf), page.next];
  }

  delete(path: string): void {
    guestCall(`delete ${this.at(path)}`, () => this.bucket.delete(path));
  }

  copy(source: string, target: string, overwrite: boolean): void {
    guestCall(`copy ${this.at(source)} to "${target}"`, () => this.bucket.copy(source, target, overwrite));
  }
}

// --- in unit tests ------------------------------------------------------------------------------

function fakeError(kase: string, message: string): ObjectsError {
  const kind = kase === "Store" || kase === "Timeout" ? "retryable" : "permanent";
  return new ObjectsError(`${kase}: ${message}`, { kind, case: kase });
}

/** `path` as the store takes it, else `InvalidPath`: the host's rule. */
function fakeKey(path: string): string {
  const trimmed = path.replace(/^\/+|\/+$/g, "");
  const parts = trimmed.split("/");
  if (trimmed === "" || parts.some((p) => p === "" || p === "." || p === "..") || /[\u0000-\u001f]/.test(path)) {
    throw fakeError("InvalidPath", `"${path}" is not an object key`);
  }
  return parts.join("/");
}

/** A content hash standing in for an entity tag (FNV-1a, 32 bits). */
function fakeTag(bytes: Uint8Array): string {
  let hash = 0x811c9dc5;
  for (const b of bytes) {
    hash = Math.imul(hash ^ b, 0x01000193) >>> 0;
  }
  return `"${hash.toString(16).padStart(8, "0")}-${bytes.length}"`;
}

class FakeBucket implements ObjectBucket {
  constructor(
    private readonly objects: Map<string, Uint8Array>,
    private readonly name: string,
  ) {}

  private meta(key: string): ObjectMeta {
    const data = this.objects.get(key)!;
    return { path: key, size: data.length, lastModified: new Date().toISOString(), eTag: fakeTag(data) };
  }

  private existing(path: string): string {
    const key = fakeKey(path);
    if (!this.objects.has(key)) {
      throw fakeError("NotFound", `"${path}" in ${this.name}: no such object`);
    }
    return key;
  }

  get(path: string, options: GetOptions): Uint8Array {
    const key = this.existing(path);
    const tag = this.meta(key).eTag;
    if (options.ifMatch !== undefined && options.ifMatch !== tag) {
      throw fakeError("Precondition", `"${path}" in ${this.name}: its entity tag is not the one given`);
    }
    if (options.ifNoneMatch !== undefined && options.ifNoneMatch === tag) {
      throw fakeError("NotModified", `"${path}" in ${this.name}: its entity tag is the one given`);
    }
    const data = this.objects.get(key)!;
    return options.range ? data.slice(options.range[0], options.range[1]) : data.slice();
  }

  openRead(path: string): [ObjectMeta, ObjectReader] {
    const data = this.get(path, {});
    let at = 0;
    return [
      this.meta(fakeKey(path)),
      {
        read: (max) => {
          const chunk = data.slice(at, at + max);
          at += chunk.length;
          return chunk;
        },
        close: () => {},
      },
    ];
  }

  put(path: string, bytes: Uint8Array, mode: PutMode): PutResult {
    const key = fakeKey(path);
    if (mode.tag === "create" && this.objects.has(key)) {
      throw fakeError("AlreadyExists", `"${path}" in ${this.name}: already exists`);
    }
    if (mode.tag === "update" && (!this.objects.has(key) || this.meta(key).eTag !== mode.val)) {
      throw fakeError("Precondition", `"${path}" in ${this.name}: its entity tag is not the one given`);
    }
    this.objects.set(key, bytes.slice());
    return { eTag: this.meta(key).eTag };
  }

  openWrite(path: string): ObjectWriterSeam {
    const key = fakeKey(path);
    let parts: Uint8Array[] | undefined = [];
    return {
      write: (bytes) => {
        if (parts === undefined) {
          throw fakeError("State", `"${key}": the writer is finished`);
        }
        parts.push(bytes.slice());
      },
      finish: () => {
        if (parts === undefined) {
          throw fakeError("State", `"${key}": the writer is finished`);
        }
        const whole = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
        let at = 0;
        for (const p of parts) {
          whole.set(p, at);
          at += p.length;
        }
        parts = undefined;
        return this.put(key, whole, { tag: "overwrite" });
      },
      abort: () => {
        parts = undefined;
      },
    };
  }

  head(path: string): ObjectMeta {
    return this.meta(this.existing(path));
  }

  list(prefix: string | undefined, startAfter: string | undefined, max: number): [ObjectMeta[], string | undefined] {
    const under = prefix === undefined ? "" : `${fakeKey(prefix)}/`;
    const keys = [...this.objects.keys()]
      .filter((k) => k.startsWith(under) && (startAfter === undefined || k > startAfter))
      .sort();
    const page = keys.slice(0, max).map((k) => this.meta(k));
    return [page, keys.length > max ? page[page.length - 1]!.path : undefined];
  }

  delete(path: string): void {
    this.objects.delete(fakeKey(path));
  }

  copy(source: string, target: string, overwrite: boolean): void {
    const data = this.objects.get(this.existing(source))!;
    const key = fakeKey(target);
    if (!overwrite && this.objects.has(key)) {
      throw fakeError("AlreadyExists", `"${target}" in ${this.name}: already exists`);
    }
    this.objects.set(key, data.slice());
  }
}

defineCapability({
  name: "objects",
  context: {
    storage(connId: string): Storage {
      const opened = host(this);
      return new Storage(connId, (bucket) => opened.objectsOpen(connId, bucket));
    },
  },
  guest: (wit) => ({
    objectsOpen(connId, bucket) {
      const name = `${connId}/${bucket}`;
      return new GuestBucket(guestCall(`opening bucket ${name}`, () => wit.objects.open(connId, bucket)), name);
    },
  }),
  fake: (_fake, options) => ({
    objectsOpen(connId, bucket) {
      const buckets = options.objects?.[connId];
      if (buckets === undefined) {
        throw fakeError("NoConnection", `connection "${connId}" does not exist`);
      }
      const objects = buckets[bucket];
      if (objects === undefined) {
        throw fakeError("Store", `bucket "${bucket}" of "${connId}" does not exist`);
      }
      return new FakeBucket(objects, `${connId}/${bucket}`);
    },
  }),
});
