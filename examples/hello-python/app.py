"""The ``hello_python`` DAG: Weft's ``hello`` example, written in Python on Weft's SDK.

Six tasks, ``t1 >> [t2, t3] >> t4``, and ``fetch`` and ``query`` on their own:

* ``t1`` greets the name given in the run's configuration (``{"name": "..."}``, default
  ``world``) and returns ``{"greeting": "hello, <name>"}``;
* ``t2`` takes t1's output as its parameter ``t1`` and returns the greeting upper-cased,
  ``{"upper": "HELLO, <NAME>"}``;
* ``t3`` pulls t1's output through XCom, pushes the greeting's length under the key
  ``length`` and returns the greeting reversed, ``{"reversed": "..."}``;
* ``t4`` pulls the outputs of t2 and t3 and t3's ``length``, and returns them combined,
  ``{"upper": "...", "reversed": "...", "length": N}``;
* ``fetch`` sends ``GET`` to the URL given in the run's configuration (``{"url": "..."}``)
  and returns ``{"status": N, "bytes": N, "body": "<the first 200 characters>"}``; with no
  ``url`` it sends nothing and returns ``{}``;
* ``query`` opens the connection ``postgres_default`` through the host and runs one
  parameterised query with the integer given in the run's configuration (``{"number": N}``),
  returning ``{"rows": [{"answer": N + 1, "database": "<the database's name>"}]}``; with no
  ``number`` it opens nothing and returns ``{}``.

``fetch`` may only reach what it declares, ``GET http://127.0.0.1:*`` (any port of the loopback
address, where a test server listens), and what the operator allows (``wfctl run ...
--egress-allow RULE --egress-allow-net 127.0.0.1``). ``query`` declares the connection
``postgres_default``: the host opens it, and the task never sees its password. See README.md.
"""

from typing import Any

from weft import Context, Dag, PermanentError

# Where `fetch` may send requests, fixed at build time: rules are
# `[METHODS ][SCHEME://]HOST[:PORT|:*]`.
FETCH_EGRESS = ["GET http://127.0.0.1:*"]

# The connection `query` opens. The operator gives its host, port, database, login and
# password (`AIRFLOW_CONN_POSTGRES_DEFAULT` for `wfctl run`).
QUERY_CONNECTION = "postgres_default"

# The one query `query` runs: `$1` is the run's `number`, sent as a typed integer parameter.
QUERY = "SELECT $1::int + 1 AS answer, current_database() AS database"

# How many characters of the body `fetch` returns.
BODY_PREVIEW = 200

dag = Dag(
    "hello_python",
    description="Greets someone in Python: t1 >> [t2, t3] >> t4; fetch GETs a URL; query asks PostgreSQL.",
    schedule="@daily",
    start_date="2024-01-01",
    tags=["example", "python"],
)


def conf_field(ctx: Context, name: str, kind: type, default: Any = None) -> Any:
    """Field `name` of the run's configuration, of type `kind`; `default` when not given."""
    value = ctx.conf.get(name, default)
    if value is not None and (not isinstance(value, kind) or isinstance(value, bool)):
        raise PermanentError(f"the run's configuration field `{name}` is not a {kind.__name__}: {value!r}")
    return value


@dag.task
def t1(ctx: Context) -> dict:
    """Greet the name from the run's configuration."""
    greeting = f"hello, {conf_field(ctx, 'name', str, 'world')}"
    ctx.log.info("t1: %s", greeting)
    return {"greeting": greeting}


@dag.task
def t2(ctx: Context, t1: dict) -> dict:
    """Upper-case t1's greeting, handed to the task as its parameter `t1`."""
    greeting = str(t1["greeting"])
    ctx.log.info("t2: read %r from the upstream outputs", greeting)
    return {"upper": greeting.upper()}


@dag.task
def t3(ctx: Context) -> dict:
    """Reverse t1's greeting, pulled through XCom, and push its length."""
    greeting = str(ctx.xcom_pull("t1")["greeting"])
    ctx.log.info("t3: pulled %r through XCom", greeting)
    ctx.xcom_push("length", len(greeting))
    return {"reversed": greeting[::-1]}


@dag.task
def t4(ctx: Context) -> dict:
    """Combine the outputs of t2 and t3 and the length t3 pushed."""
    combined = {
        "upper": ctx.xcom_pull("t2")["upper"],
        "reversed": ctx.xcom_pull("t3")["reversed"],
        "length": ctx.xcom_pull("t3", "length"),
    }
    ctx.log.info("t4: combined %s", combined)
    return combined


@dag.task(egress=FETCH_EGRESS)
def fetch(ctx: Context) -> dict:
    """GET the run's `url`, if it gives one, and return the response's status and body."""
    url = conf_field(ctx, "url", str)
    if url is None:
        ctx.log.info("fetch: no `url` in the run's configuration, nothing to fetch")
        return {}
    response = ctx.http.get(url)
    ctx.log.info("fetch: GET %s answered %d with %d bytes", url, response.status, len(response.content))
    return {"status": response.status, "bytes": len(response.content), "body": response.text[:BODY_PREVIEW]}


@dag.task(connections=[QUERY_CONNECTION])
def query(ctx: Context) -> dict:
    """Run `QUERY` on `postgres_default` with the run's `number`, if it gives one, and return
    its rows."""
    number = conf_field(ctx, "number", int)
    if number is None:
        ctx.log.info("query: no `number` in the run's configuration, nothing to query")
        return {}
    with ctx.sql(QUERY_CONNECTION) as db:
        rows = db.query(QUERY, [number])
    ctx.log.info("query: %d row(s) from `%s`", len(rows), QUERY_CONNECTION)
    return {"rows": rows}


t1 >> [t2, t3] >> t4
