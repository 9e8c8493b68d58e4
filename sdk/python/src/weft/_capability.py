"""How a capability plugs into the SDK, so that one module holds all of it.

A capability (XCom, variables, SQL, ...) is one module of the ``weft`` package. It makes a
``Capability`` and, through it, gives:

- the methods and properties tasks call on ``Context`` (``@cap.context``);
- each host call over the component's WIT imports (``@cap.guest("name")``), using the
  componentize-py bindings from ``bindings("interface")`` (None outside a component) and
  raising the SDK's errors, never the bindings';
- what ``weft.testing.FakeHost`` does for that call (``@cap.fake("name")``, called with the
  fake host first) and the state it keeps for it (``cap.fake_state(name=default_factory)``,
  also ``FakeHost``'s keyword arguments);
- the names ``weft`` exports (the module's ``__all__``).

``weft`` imports every public module of the package when it is imported (``load_all``), so a
new capability is one new file: no list of capabilities, host methods or exports to extend.
The component's host (``weft._component``) and ``FakeHost`` answer any host call from these
registries.

    cap = Capability(__name__)
    _wit = bindings("variables")

    @cap.context
    def variable(self, key, default=None): ...       # ctx.variable("k")

    @cap.guest("variable")
    def _variable(key): return _wit.get(key)         # inside a component

    cap.fake_state(variables=dict)
    @cap.fake("variable")
    def _fake_variable(fake, key): return fake.variables.get(key)
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable
from types import ModuleType
from typing import Any

from .context import Context

#: Host calls over the WIT imports, by name.
GUEST: dict[str, Callable[..., Any]] = {}
#: ``FakeHost``'s answer to each host call, by name; called with the fake host first.
FAKE: dict[str, Callable[..., Any]] = {}
#: ``FakeHost``'s state, by attribute name: what makes its value when the test gives none.
FAKE_STATE: dict[str, Callable[[], Any]] = {}
#: The capability modules, in the order they were loaded.
MODULES: list[str] = []

try:  # inside a component only: componentize-py's result wrapper for a failed import call
    from componentize_py_types import Err, Ok
except ModuleNotFoundError:  # outside one, no host call over the bindings is ever made

    class Err(Exception):  # type: ignore[no-redef]
        """Stands in for componentize-py's ``Err`` outside a component."""

        value: Any = None

    Ok = None  # type: ignore[assignment,misc]


def bindings(interface: str) -> Any:
    """componentize-py's module for the world's import ``interface`` (``wit_world.imports``'s
    name for it: ``xcom``, ``dag_runs``, ``weft_dag_types``, ...), or None outside a component
    (unit tests). A module missing inside a component is an error, not None."""
    try:
        importlib.import_module("wit_world")
    except ModuleNotFoundError:
        return None
    return importlib.import_module(f"wit_world.imports.{interface}")


def case(value: Any, prefix: str) -> str:
    """The case name of a WIT variant value: ``SqlError_Connect`` -> ``Connect``."""
    return type(value).__name__.removeprefix(prefix)


class Capability:
    """One capability's registrations; see the module's documentation."""

    def __init__(self, module: str) -> None:
        self.module = module
        if module not in MODULES:
            MODULES.append(module)

    def context(self, member: Any) -> Any:
        """Add ``member`` (a function or a property) to ``Context`` under its name."""
        function = member.fget if isinstance(member, property) else member
        name = function.__name__
        if name in vars(Context):
            raise RuntimeError(f"{self.module}: Context already has `{name}`")
        setattr(Context, name, member)
        return member

    def guest(self, name: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        """Register the host call ``name`` over the WIT imports."""
        return self._register(GUEST, name)

    def fake(self, name: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        """Register what ``FakeHost`` does for host call ``name``."""
        return self._register(FAKE, name)

    def fake_state(self, **defaults: Callable[[], Any]) -> None:
        """Give ``FakeHost`` attributes (and keyword arguments) of these names, each made by
        its factory when a test gives none."""
        for name, default in defaults.items():
            if name in FAKE_STATE:
                raise RuntimeError(f"{self.module}: FakeHost already has `{name}`")
            FAKE_STATE[name] = default

    def _register(
        self, registry: dict[str, Callable[..., Any]], name: str
    ) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        if name in registry:
            raise RuntimeError(f"{self.module}: host call `{name}` is registered twice")

        def register(function: Callable[..., Any]) -> Callable[..., Any]:
            registry[name] = function
            return function

        return register


def load_all(package: ModuleType) -> list[ModuleType]:
    """Import every public module of ``package`` (capabilities register themselves as they
    are imported); the capability modules."""
    for info in pkgutil.iter_modules(package.__path__):
        if not info.name.startswith("_"):
            importlib.import_module(f"{package.__name__}.{info.name}")
    return [importlib.import_module(name) for name in MODULES]


def export_all(package: ModuleType) -> list[str]:
    """Load every capability module of ``package`` (``load_all``) and give the package the
    names in each one's ``__all__``; those names."""
    names = []
    for module in load_all(package):
        for name in getattr(module, "__all__", ()):
            setattr(package, name, getattr(module, name))
            names.append(name)
    return names


def unknown_call(owner: str, name: str) -> AttributeError:
    """The error for a host call no capability registered."""
    return AttributeError(f"{owner} has no host call `{name}`: no capability module registers it")
