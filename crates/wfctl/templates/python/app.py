"""The `{{dag_id}}` DAG: `hello` greets, then `call_api` asks an HTTP API found through a
connection.

Build, test and deploy it with wfctl (see README.md):

    wfctl build .
    wfctl test . --conf '{"name": "Ada"}'
    wfctl deploy target/{{module}}.wasm
"""

from weft import AccessError, Context, Dag, Skip

# The connection `call_api` reads: `conn_type` http, `host` the API's base URL
# (`wfctl connections add api_default --conn-type http --host https://api.example.com`),
# and `password`, when set, sent as a bearer token.
API_CONNECTION = "api_default"

# Where `call_api` may send requests, fixed when the component is built: rules are
# `[METHODS ][SCHEME://]HOST[:PORT|:*]`. The operator must allow them too.
API_EGRESS = ["GET https://api.example.com"]

dag = Dag(
    "{{dag_id}}",
    description="Greets, then calls an HTTP API through a connection.",
    schedule=None,
    tags=["{{dag_id}}"],
    default_args={"retries": 2, "retry_delay": 10},
)


@dag.task
def hello(ctx: Context) -> dict:
    """Greet the run's `name` (default `world`)."""
    name = ctx.conf.get("name", "world")
    ctx.log.info("greeting %s", name)
    return {"greeting": f"hello, {name}"}


@dag.task(connections=[API_CONNECTION], egress=API_EGRESS)
def call_api(ctx: Context, hello: dict) -> dict:
    """GET the run's `path` (default `/`) from the API of connection `api_default`."""
    try:
        api = ctx.connection(API_CONNECTION)
    except AccessError as error:
        raise Skip(f"no connection `{API_CONNECTION}` to call: {error}") from error
    headers = {"authorization": f"Bearer {api.password}"} if api.password else {}
    url = api.base_url + ctx.conf.get("path", "/")
    response = ctx.http.get(url, headers=headers).raise_for_status()
    ctx.log.info("GET %s answered %d", url, response.status)
    return {"greeting": hello["greeting"], "status": response.status, "body": response.text[:200]}


hello >> call_api
