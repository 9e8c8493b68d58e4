"""The ``capabilities`` DAG, which every ``check_*`` module of this project adds its tasks to.

Each module checks one capability of the host from inside a task: its tasks call the
capability and raise when an answer is not what the capability promises. The end-to-end
test ``tests/tests/capabilities.rs`` runs the DAG on ``wfctl standalone`` and requires every
task to succeed. A new capability adds its ``check_<name>.py`` here and nothing else.
"""

from weft import Dag

dag = Dag(
    "capabilities",
    description="Each host capability, checked from inside a task.",
    tags=["test"],
    default_args={"retries": 0},
)


def expect(what: str, got: object, wanted: object) -> None:
    """Raise, naming ``what``, unless ``got`` equals ``wanted``."""
    if got != wanted:
        raise AssertionError(f"{what}: got {got!r}, wanted {wanted!r}")
