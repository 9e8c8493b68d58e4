"""The entry module: the ``capabilities`` DAG with the tasks of every ``check_*`` module.

The modules are found by name when the component is built, so adding one needs no line here.
"""

import importlib
import pkgutil
from pathlib import Path

from probe import dag

for _module in sorted(m.name for m in pkgutil.iter_modules([str(Path(__file__).parent)])):
    if _module.startswith("check_"):
        importlib.import_module(_module)

__all__ = ["dag"]
