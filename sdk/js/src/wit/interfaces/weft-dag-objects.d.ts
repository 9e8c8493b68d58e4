declare module 'weft:dag/objects@0.6.0' {
  /**
   * Open `bucket` through the declared connection `conn-id`.
   */
  export function open(connId: string, bucket: string): Bucket;
  /**
   * What the store knows of an object.
   */
  export interface ObjectMeta {
    /**
     * Its key.
     */
    path: string,
    /**
     * Its size in bytes.
     */
    size: bigint,
    /**
     * When it was last written, RFC 3339 in UTC.
     */
    lastModified: string,
    /**
     * Its entity tag, for conditional requests.
     */
    eTag?: string,
    /**
     * Its version, on stores that keep versions.
     */
    version?: string,
  }
  /**
   * Which bytes of an object a read returns.
   */
  export type ByteRange = ByteRangeBounded | ByteRangeOffset | ByteRangeSuffix;
  /**
   * From the first offset up to the second, exclusive.
   */
  export interface ByteRangeBounded {
    tag: 'bounded',
    val: [bigint, bigint],
  }
  /**
   * From this offset to the end.
   */
  export interface ByteRangeOffset {
    tag: 'offset',
    val: bigint,
  }
  /**
   * The last so many bytes.
   */
  export interface ByteRangeSuffix {
    tag: 'suffix',
    val: bigint,
  }
  /**
   * A range and conditions for a read.
   */
  export interface GetOptions {
    /**
     * Only these bytes; none: the whole object.
     */
    range?: ByteRange,
    /**
     * Only if the object's entity tag is this one (`If-Match`), else `precondition`.
     */
    ifMatch?: string,
    /**
     * Only if the object's entity tag is not this one (`If-None-Match`), else
     * `not-modified`.
     */
    ifNoneMatch?: string,
  }
  /**
   * What a write may replace.
   */
  export type PutMode = PutModeOverwrite | PutModeCreate | PutModeUpdate;
  /**
   * Whatever object has the key.
   */
  export interface PutModeOverwrite {
    tag: 'overwrite',
  }
  /**
   * Nothing: the write fails with `already-exists` if the key has an object.
   */
  export interface PutModeCreate {
    tag: 'create',
  }
  /**
   * Only the object whose entity tag is this one, else `precondition`.
   */
  export interface PutModeUpdate {
    tag: 'update',
    val: string,
  }
  /**
   * What a write made.
   */
  export interface PutResult {
    /**
     * The new object's entity tag.
     */
    eTag?: string,
    /**
     * Its version, on stores that keep versions.
     */
    version?: string,
  }
  /**
   * One page of a listing.
   */
  export interface ListPage {
    /**
     * The objects, by key.
     */
    objects: Array<ObjectMeta>,
    /**
     * The key to pass as `start-after` for the next page; none on the last.
     */
    next?: string,
  }
  /**
   * Why an object call failed.
   */
  export type ObjectsError = ObjectsErrorNotDeclared | ObjectsErrorNoConnection | ObjectsErrorUnsupported | ObjectsErrorDenied | ObjectsErrorInvalidPath | ObjectsErrorNotFound | ObjectsErrorAlreadyExists | ObjectsErrorPrecondition | ObjectsErrorNotModified | ObjectsErrorLimit | ObjectsErrorTimeout | ObjectsErrorState | ObjectsErrorStore;
  /**
   * The task's DAG does not declare the connection for the task.
   */
  export interface ObjectsErrorNotDeclared {
    tag: 'not-declared',
    val: string,
  }
  /**
   * No connection of that id exists.
   */
  export interface ObjectsErrorNoConnection {
    tag: 'no-connection',
    val: string,
  }
  /**
   * The connection is not of a type a bucket opens through, lacks what its type
   * needs, or the store cannot do what was asked.
   */
  export interface ObjectsErrorUnsupported {
    tag: 'unsupported',
    val: string,
  }
  /**
   * The egress policy refused a request to the connection's endpoint (the attempt's
   * log says why).
   */
  export interface ObjectsErrorDenied {
    tag: 'denied',
    val: string,
  }
  /**
   * The key or bucket name is not one the store takes.
   */
  export interface ObjectsErrorInvalidPath {
    tag: 'invalid-path',
    val: string,
  }
  /**
   * No object has the key.
   */
  export interface ObjectsErrorNotFound {
    tag: 'not-found',
    val: string,
  }
  /**
   * An object has the key, and the call asked that none did.
   */
  export interface ObjectsErrorAlreadyExists {
    tag: 'already-exists',
    val: string,
  }
  /**
   * The object's entity tag is not the one the call named.
   */
  export interface ObjectsErrorPrecondition {
    tag: 'precondition',
    val: string,
  }
  /**
   * The object's entity tag is the one `if-none-match` named.
   */
  export interface ObjectsErrorNotModified {
    tag: 'not-modified',
    val: string,
  }
  /**
   * A per-attempt cap (requests, bytes, or what one `get` returns) was reached.
   */
  export interface ObjectsErrorLimit {
    tag: 'limit',
    val: string,
  }
  /**
   * The call did not end before the attempt's deadline.
   */
  export interface ObjectsErrorTimeout {
    tag: 'timeout',
    val: string,
  }
  /**
   * The call does not fit a reader's or writer's state: a write after `finish`.
   */
  export interface ObjectsErrorState {
    tag: 'state',
    val: string,
  }
  /**
   * The store failed or refused the request (keys, permissions, a server error); the
   * message says which.
   */
  export interface ObjectsErrorStore {
    tag: 'store',
    val: string,
  }
  
  export class Bucket implements Disposable {
    /**
     * This type does not have a public constructor.
     */
    private constructor();
    /**
    * The object at `path`, whole or the range asked for. An object larger than the
    * task's memory is refused with `limit`: read it with `open-read`.
    */
    get(path: string, options: GetOptions): Uint8Array;
    /**
    * The object at `path` as a stream, with what the store knows of it.
    */
    openRead(path: string, options: GetOptions): [ObjectMeta, Reader];
    /**
    * Write `bytes` as the object at `path` in one request, as `mode` allows.
    */
    put(path: string, bytes: Uint8Array, mode: PutMode, contentType: string | undefined): PutResult;
    /**
    * A writer of the object at `path`, for objects written a part at a time.
    */
    openWrite(path: string, contentType: string | undefined): Writer;
    /**
    * What the store knows of the object at `path`.
    */
    head(path: string): ObjectMeta;
    /**
    * Up to `max` objects (at most 1000) whose keys start with the segments of
    * `prefix` (`a/b` lists `a/b/c`, not `a/bc`), by key, after `start-after`.
    */
    list(prefix: string | undefined, startAfter: string | undefined, max: number): ListPage;
    /**
    * Delete the object at `path`; deleting one that does not exist succeeds.
    */
    'delete'(path: string): void;
    /**
    * Copy the object at `source` to `target`, replacing what is there when `overwrite`,
    * else failing with `already-exists` if `target` has an object (on stores that
    * can tell; others answer `unsupported`).
    */
    copy(source: string, target: string, overwrite: boolean): void;
    [Symbol.dispose](): void;
  }
  
  export class Reader implements Disposable {
    /**
     * This type does not have a public constructor.
     */
    private constructor();
    /**
    * Up to `max` next bytes; an empty list at the end.
    */
    read(max: number): Uint8Array;
    [Symbol.dispose](): void;
  }
  
  export class Writer implements Disposable {
    /**
     * This type does not have a public constructor.
     */
    private constructor();
    /**
    * Append `bytes`.
    */
    write(bytes: Uint8Array): void;
    /**
    * Finish the object.
    */
    finish(): PutResult;
    [Symbol.dispose](): void;
  }
}
