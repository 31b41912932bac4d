"""Run as a script (tests/test_structure.py does, in a fresh interpreter): import every
module of a package, one by one, and report every module-level list, dict or set that
changed after its own module had finished running: one module's import changed another's
state. Prints one line per change, "changed <module>.<name>".

    python tests/import_watch.py <package> [<path to put first on sys.path>]
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import pkgutil
import sys

SKIP = {"__main__"}  # perfsite/__main__.py runs the console command


def snapshot(module) -> dict[str, object]:
    """The identity of each mutable module-level container and of what it holds."""
    found = {}
    for name, value in vars(module).items():
        if name.startswith("__"):
            continue
        if isinstance(value, list):
            found[name] = ("list", tuple(id(item) for item in value))
        elif isinstance(value, dict):
            found[name] = ("dict", tuple((id(k), id(v)) for k, v in value.items()))
        elif isinstance(value, set):
            found[name] = ("set", frozenset(id(item) for item in value))
    return found


def watch(package: str) -> list[str]:
    taken: dict[str, dict[str, object]] = {}

    class Watch(importlib.abc.MetaPathFinder):
        def find_spec(self, name, path, target=None):
            if name != package and not name.startswith(package + "."):
                return None
            spec = importlib.machinery.PathFinder.find_spec(name, path)
            if spec is None or spec.loader is None:
                return spec
            run = spec.loader.exec_module

            def exec_module(module):
                run(module)
                taken[module.__name__] = snapshot(module)

            spec.loader.exec_module = exec_module
            return spec

    sys.meta_path.insert(0, Watch())
    root = importlib.import_module(package)
    names = [info.name for info in pkgutil.walk_packages(root.__path__, package + ".")
             if info.name.rpartition(".")[2] not in SKIP]
    changes = []
    for name in sorted(names):
        importlib.import_module(name)
        for module_name, before in taken.items():
            now = snapshot(sys.modules[module_name])
            for attr, value in before.items():
                if now.get(attr) != value:
                    changes.append(f"changed {module_name}.{attr} (importing {name})")
                    before[attr] = now.get(attr)  # report each change once
    return changes


if __name__ == "__main__":
    if len(sys.argv) > 2:
        sys.path.insert(0, sys.argv[2])
    for line in watch(sys.argv[1]):
        print(line)
