/**
 * The `{{dag_id}}` DAG: `hello` greets, then `callApi` asks an HTTP API found through a
 * connection.
 *
 * Build, test and deploy it with wfctl (see README.md):
 *
 *     wfctl build .
 *     wfctl test . --conf '{"name": "Ada"}'
 *     wfctl deploy target/{{module}}.wasm
 */

import { AccessError, type Context, Dag, PermanentError, Skip } from "@weft/sdk";

/**
 * The connection `call_api` reads: `conn_type` http, `host` the API's base URL
 * (`wfctl connections add api_default --conn-type http --host https://api.example.com`),
 * and `password`, when set, sent as a bearer token.
 */
const API_CONNECTION = "api_default";

/**
 * Where `call_api` may send requests, fixed when the component is built: rules are
 * `[METHODS ][SCHEME://]HOST[:PORT|:*]`. The operator must allow them too.
 */
const API_EGRESS = ["GET https://api.example.com"];

const dag = new Dag("{{dag_id}}", {
  description: "Greets, then calls an HTTP API through a connection.",
  tags: ["{{dag_id}}"],
  defaultArgs: { retries: 2, retryDelay: "10s" },
});

/** Field `name` of the run's configuration when it is a string; `fallback` when not given. */
function confString(ctx: Context, name: string, fallback: string): string {
  const value: unknown = ctx.conf[name] ?? fallback;
  if (typeof value !== "string") {
    throw new PermanentError(`the run's configuration field \`${name}\` is not a string: ${JSON.stringify(value)}`);
  }
  return value;
}

/** Greet the run's `name` (default `world`). */
const hello = dag.task("hello", (ctx) => {
  const name = confString(ctx, "name", "world");
  ctx.log.info("greeting %s", name);
  return { greeting: `hello, ${name}` };
});

/** GET the run's `path` (default `/`) from the API of connection `api_default`. */
const callApi = dag.task("call_api", { connections: [API_CONNECTION], egress: API_EGRESS }, (ctx, { hello }) => {
  let api;
  try {
    api = ctx.connection(API_CONNECTION);
  } catch (error) {
    if (error instanceof AccessError) {
      throw new Skip(`no connection \`${API_CONNECTION}\` to call: ${error.message}`);
    }
    throw error;
  }
  const headers: Record<string, string> = api.password ? { authorization: `Bearer ${api.password}` } : {};
  const url = api.baseUrl + confString(ctx, "path", "/");
  const response = ctx.http.get(url, { headers }).raiseForStatus();
  ctx.log.info("GET %s answered %d", url, response.status);
  return { greeting: hello.greeting, status: response.status, body: response.text().slice(0, 200) };
});

hello.setDownstream(callApi);

export default dag;
