/**
 * The connections and secrets capability: what a task declares (`connections`, `secrets`)
 * it reads by name, and the host refuses the rest.
 *
 * `ctx.connection(connId)` and `ctx.secret(name)`, over the host calls `connection` and
 * `secret`. `FakeHost` answers from its `connections` and `secrets`; given
 * `declaredConnections` or `declaredSecrets`, it refuses others as `NotDeclared`.
 *
 * @module
 */

import type { AccessError as AccessErrorRecord } from "weft:dag/types@0.6.0";

import { defineCapability, host, payload } from "../capability.js";
import { AccessError } from "../errors.js";
import { caseName } from "../records.js";

declare module "../context.js" {
  interface Context {
    /** Connection `connId`, which the task declares in `connections`. */
    connection(connId: string): Connection;
    /** Secret `name`, which the task declares in `secrets`. */
    secret(name: string): string;
  }
}

declare module "../host.js" {
  interface Host {
    /** Connection `connId`, which the task must declare. */
    connection(connId: string): Connection;
    /** Secret `name`, which the task must declare. */
    secret(name: string): string;
  }
}

declare module "../testing.js" {
  interface FakeHostOptions {
    connections?: Record<string, Connection>;
    secrets?: Record<string, string>;
    /** What the task declares; when given, others are refused as `NotDeclared`. */
    declaredConnections?: readonly string[];
    declaredSecrets?: readonly string[];
  }
  interface FakeHost {
    readonly connections: Record<string, Connection>;
    readonly secrets: Record<string, string>;
  }
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

/** A connection's or secret's error, `what` naming it; retryable only when the store could not be reached. */
function accessError(error: unknown, what: string): AccessError {
  const reason = payload<AccessErrorRecord>(error);
  const kind = reason.tag === "unavailable" ? "retryable" : "permanent";
  return new AccessError(`${what}: ${caseName(reason.tag)}: ${reason.val}`, { kind });
}

/** Refuse `name` unless `names` (when given) holds it, as the host refuses what a task does not declare. */
function declared(names: readonly string[] | undefined, name: string, what: string): void {
  if (names !== undefined && !names.includes(name)) {
    throw new AccessError(`${what} \`${name}\`: NotDeclared: ${name}`, { kind: "permanent" });
  }
}

defineCapability({
  name: "access",
  context: {
    connection(connId: string): Connection {
      return host(this).connection(connId);
    },
    secret(name: string): string {
      return host(this).secret(name);
    },
  },
  guest: (wit) => ({
    connection(connId) {
      try {
        return new Connection(wit.connections.get(connId));
      } catch (error) {
        throw accessError(error, `connection \`${connId}\``);
      }
    },
    secret(name) {
      try {
        return wit.secrets.get(name);
      } catch (error) {
        throw accessError(error, `secret \`${name}\``);
      }
    },
  }),
  fake: (fake, options) => {
    const connections = { ...options.connections };
    const secrets = { ...options.secrets };
    Object.assign(fake, { connections, secrets });
    return {
      connection(connId) {
        declared(options.declaredConnections, connId, "connection");
        const found = connections[connId];
        if (found === undefined) {
          throw new AccessError(`connection \`${connId}\`: NotFound: ${connId}`, { kind: "permanent" });
        }
        return found;
      },
      secret(name) {
        declared(options.declaredSecrets, name, "secret");
        const found = secrets[name];
        if (found === undefined) {
          throw new AccessError(`secret \`${name}\`: NotFound: ${name}`, { kind: "permanent" });
        }
        return found;
      },
    };
  },
});
