"""``weft:dag/xcom``: a value pushed under a key is pulled back by a downstream task; an
upstream that pushed nothing under a key gives nothing; an invalid key is refused."""

from probe import dag, expect
from weft import Context, XComError


@dag.task
def xcom_push(ctx: Context) -> dict:
    ctx.xcom_push("rows", [1, 2, 3])
    try:
        ctx.xcom_push("no spaces allowed", 1)
    except XComError as error:
        expect("the refusal names the key", "no spaces allowed" in str(error), True)
    else:
        raise AssertionError("a key with spaces was accepted")
    return {"pushed": True}


@dag.task
def xcom_pull(ctx: Context) -> None:
    expect("the pushed value", ctx.xcom_pull("xcom_push", key="rows"), [1, 2, 3])
    expect("the upstream's output", ctx.xcom_pull("xcom_push"), {"pushed": True})
    expect("a key never pushed", ctx.xcom_pull("xcom_push", key="absent", default=None), None)


xcom_push >> xcom_pull
