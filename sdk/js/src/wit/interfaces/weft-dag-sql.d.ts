declare module 'weft:dag/sql@0.6.0' {
  /**
   * Open a session on the declared connection `conn-id`.
   */
  export function open(connId: string): Session;
  /**
   * One value of a parameter or a column.
   */
  export type SqlValue = SqlValueNull | SqlValueBoolean | SqlValueInt | SqlValueFloat | SqlValueText | SqlValueBytes | SqlValueDecimal | SqlValueTimestamp | SqlValueDatetime | SqlValueDate | SqlValueTime | SqlValueUuid | SqlValueJson;
  /**
   * SQL NULL.
   */
  export interface SqlValueNull {
    tag: 'null',
  }
  /**
   * A boolean.
   */
  export interface SqlValueBoolean {
    tag: 'boolean',
    val: boolean,
  }
  /**
   * Any integer type that fits 64 bits (an unsigned one past `s64` comes as `decimal`).
   */
  export interface SqlValueInt {
    tag: 'int',
    val: bigint,
  }
  /**
   * Any floating-point type.
   */
  export interface SqlValueFloat {
    tag: 'float',
    val: number,
  }
  /**
   * Text: `text`, `varchar`, `char`, enums.
   */
  export interface SqlValueText {
    tag: 'text',
    val: string,
  }
  /**
   * Binary data: `bytea`, `blob`, `varbinary`.
   */
  export interface SqlValueBytes {
    tag: 'bytes',
    val: Uint8Array,
  }
  /**
   * An exact number, written in decimal (`numeric`, `decimal`).
   */
  export interface SqlValueDecimal {
    tag: 'decimal',
    val: string,
  }
  /**
   * A point in time, RFC 3339 in UTC (`timestamptz`; MySQL's `timestamp`).
   */
  export interface SqlValueTimestamp {
    tag: 'timestamp',
    val: string,
  }
  /**
   * A date and time of day without a time zone: `2024-05-01T12:30:00` with up to six
   * fraction digits (`timestamp`; MySQL's `datetime`).
   */
  export interface SqlValueDatetime {
    tag: 'datetime',
    val: string,
  }
  /**
   * A calendar date: `2024-05-01`.
   */
  export interface SqlValueDate {
    tag: 'date',
    val: string,
  }
  /**
   * A time of day: `12:30:00` with up to six fraction digits.
   */
  export interface SqlValueTime {
    tag: 'time',
    val: string,
  }
  /**
   * A UUID in its hyphenated form.
   */
  export interface SqlValueUuid {
    tag: 'uuid',
    val: string,
  }
  /**
   * A JSON document, as text (`json`, `jsonb`).
   */
  export interface SqlValueJson {
    tag: 'json',
    val: string,
  }
  /**
   * A result column.
   */
  export interface Column {
    /**
     * Its name.
     */
    name: string,
    /**
     * The database's name for its type: `INT8`, `TEXT`, `VARCHAR`, ...
     */
    typeName: string,
  }
  /**
   * One row: a value per column, in column order.
   */
  export type Row = Array<SqlValue>;
  /**
   * The rows of a query.
   */
  export interface RowSet {
    /**
     * The columns.
     */
    columns: Array<Column>,
    /**
     * Every row.
     */
    rows: Array<Row>,
  }
  /**
   * An error the database reported.
   */
  export interface DatabaseError {
    /**
     * The SQLSTATE code (`23505`, `42P01`, ...), when the database gave one.
     */
    code?: string,
    /**
     * The database's message.
     */
    message: string,
  }
  /**
   * Why a SQL call failed.
   */
  export type SqlError = SqlErrorNotDeclared | SqlErrorNotFound | SqlErrorUnsupported | SqlErrorDenied | SqlErrorConnect | SqlErrorTimeout | SqlErrorLimit | SqlErrorState | SqlErrorDatabase;
  /**
   * The task's DAG does not declare this connection for the task.
   */
  export interface SqlErrorNotDeclared {
    tag: 'not-declared',
    val: string,
  }
  /**
   * No connection of that id exists.
   */
  export interface SqlErrorNotFound {
    tag: 'not-found',
    val: string,
  }
  /**
   * The connection is not of a type the host can open (`postgres`, `mysql`,
   * `mariadb`), or a value has no counterpart in this database.
   */
  export interface SqlErrorUnsupported {
    tag: 'unsupported',
    val: string,
  }
  /**
   * The egress policy does not allow the connection's host and port.
   */
  export interface SqlErrorDenied {
    tag: 'denied',
    val: string,
  }
  /**
   * The database could not be reached or logged into; worth retrying.
   */
  export interface SqlErrorConnect {
    tag: 'connect',
    val: string,
  }
  /**
   * The statement ran past its timeout and was cancelled.
   */
  export interface SqlErrorTimeout {
    tag: 'timeout',
    val: string,
  }
  /**
   * A per-attempt cap (statements, rows or bytes returned) was reached.
   */
  export interface SqlErrorLimit {
    tag: 'limit',
    val: string,
  }
  /**
   * The call does not fit the session's state: a transaction begun twice, a commit
   * without one, a statement while a stream is open.
   */
  export interface SqlErrorState {
    tag: 'state',
    val: string,
  }
  /**
   * The database refused the statement.
   */
  export interface SqlErrorDatabase {
    tag: 'database',
    val: DatabaseError,
  }
  
  export class RowStream implements Disposable {
    /**
     * This type does not have a public constructor.
     */
    private constructor();
    /**
    * The columns.
    */
    columns(): Array<Column>;
    /**
    * Up to `max` next rows; an empty list once every row is read.
    */
    next(max: number): Array<Row>;
    [Symbol.dispose](): void;
  }
  
  export class Session implements Disposable {
    /**
     * This type does not have a public constructor.
     */
    private constructor();
    /**
    * Run `statement` with `params` and return all its rows.
    */
    query(statement: string, params: Array<SqlValue>): RowSet;
    /**
    * Run `statement` with `params` and return its rows as a stream, for results too
    * large to hold at once.
    */
    queryStream(statement: string, params: Array<SqlValue>): RowStream;
    /**
    * Run `statement` with `params`; the number of rows it affected.
    */
    execute(statement: string, params: Array<SqlValue>): bigint;
    /**
    * Begin a transaction.
    */
    begin(): void;
    /**
    * Commit the transaction.
    */
    commit(): void;
    /**
    * Roll the transaction back.
    */
    rollback(): void;
    [Symbol.dispose](): void;
  }
}
