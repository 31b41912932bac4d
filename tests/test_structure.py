"""How the code hangs together: no import circles, blueprints in their area's package, and
nothing plugged in by importing a module (create_app registers what each area plugs in)."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

from perfsite import ROOT

# Once per CI run (the SQLite pass): the code's shape, read from the source and a fresh interpreter.
pytestmark = pytest.mark.once

PACKAGE = ROOT / "perfsite"


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _modules() -> dict[str, Path]:
    return {_module_name(path): path for path in PACKAGE.rglob("*.py")}


def _type_checking_only(tree: ast.Module) -> set[ast.AST]:
    """Imports under `if TYPE_CHECKING:` never run: they tie nothing."""
    skipped: set[ast.AST] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            skipped.update(n for child in node.body for n in ast.walk(child))
    return skipped


def import_graph() -> dict[str, dict[str, int]]:
    """module -> {module it imports: line}, for every import anywhere in the module (at the
    top or inside a function: a lazy import ties two modules all the same)."""
    modules = _modules()
    graph: dict[str, dict[str, int]] = {}
    for name, path in modules.items():
        tree = ast.parse(path.read_text(), str(path))
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        skipped = _type_checking_only(tree)
        edges: dict[str, int] = {}
        for node in ast.walk(tree):
            if node in skipped:
                continue
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    base = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                    base = f"{base}.{node.module}" if node.module else base
                else:
                    base = node.module or ""
                # `from pkg import name`: the module pkg.name if there is one, else pkg
                targets = [f"{base}.{alias.name}" if f"{base}.{alias.name}" in modules
                           else base for alias in node.names]
            else:
                continue
            for target in targets:
                if target in modules and target != name:
                    edges.setdefault(target, node.lineno)
        graph[name] = edges
    return graph


def circles(graph: dict[str, dict[str, int]]) -> list[list[str]]:
    """The strongly connected groups of more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in graph.get(node, {}):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_the_import_graph_of_perfsite_has_no_circle():
    graph = import_graph()
    found = circles(graph)
    described = []
    for group in found:
        ties = [f"  {a} -> {b} (line {graph[a][b]})" for a in group for b in graph[a]
                if b in group]
        described.append("\n".join([" <-> ".join(group), *ties]))
    assert not found, "import circles:\n" + "\n".join(described)


def test_the_circle_finder_finds_a_circle():
    graph = {"a": {"b": 1}, "b": {"c": 1}, "c": {"a": 1}, "d": {"a": 1}}
    assert circles(graph) == [["a", "b", "c"]]
    # and a lazy import inside a function is an edge like any other
    assert "perfsite.extensions" in import_graph()["perfsite.permissions.org"]


def _is_view_module(name: str) -> bool:
    last = name.rpartition(".")[2]
    return last == "views" or last.endswith("_views")


def test_blueprints_live_in_their_area_package_and_views_never_import_each_other():
    modules = _modules()
    made_in = {name for name, path in modules.items()
               if "Blueprint(" in path.read_text() and name != "perfsite.areas"}
    assert made_in and all(modules[name].name == "__init__.py" for name in made_in), made_in
    graph = import_graph()
    crossing = [f"{a} -> {b}" for a, targets in graph.items() if _is_view_module(a)
                for b in targets if _is_view_module(b)]
    assert not crossing, crossing


# Importing a module never changes behaviour --------------------------------------------------

WATCH = Path(__file__).with_name("import_watch.py")


def _watch(package: str, path: Path) -> list[str]:
    """tests/import_watch.py in a fresh interpreter: what importing each module of
    `package`, one by one, changed in other modules' lists, dicts and sets."""
    run = subprocess.run([sys.executable, str(WATCH), package, str(path)], capture_output=True,
                         text=True, timeout=300, cwd=path)
    assert run.returncode == 0, run.stderr[-3000:]
    return run.stdout.splitlines()


def test_importing_a_module_changes_no_other_modules_state():
    """No area plugs itself in by being imported (a score source appended to a list, a
    to-do collector or phase hook registered by a decorator, messages added to another
    area's table): perfsite/areas.py's plug_in(app) lists them instead."""
    assert _watch("perfsite", ROOT) == []


def test_the_import_watch_notices_a_module_that_plugs_itself_in(tmp_path):
    package = tmp_path / "plugged"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "scores.py").write_text("SOURCES = []\n")
    (package / "feedback.py").write_text(
        "from . import scores\n\ndef groups():\n    pass\n\nscores.SOURCES.append(groups)\n")
    assert _watch("plugged", tmp_path) == [
        "changed plugged.scores.SOURCES (importing plugged.feedback)"]


def test_create_app_plugs_each_areas_parts_in_for_that_app_alone():
    from flask import Flask

    from perfsite import create_app, plugins
    from perfsite.feedback.services import report
    from perfsite.interviews.services import todos as interview_todos
    from perfsite.reviews.services import scores

    bare = Flask("bare")
    with bare.app_context():
        assert all(plugins.registered(kind) == () for kind in plugins.KINDS)
    first, second = create_app({"TESTING": True}), create_app({"TESTING": True})
    with first.app_context():
        sources = plugins.registered(plugins.COMPETENCY_SOURCES)
        assert sources == (scores.manager_ratings, report.feedback_groups)
        assert interview_todos.collect in plugins.registered(plugins.TODO_COLLECTORS)
        hooks = plugins.registered(plugins.PHASE_HOOKS)
    with second.app_context():  # a second app: the same list, not a doubled one
        assert plugins.registered(plugins.PHASE_HOOKS) == hooks
        assert len(set(hooks)) == len(hooks)


# Start-up loads no sign-in library -----------------------------------------------------------

SIGN_IN_LIBRARIES = ("authlib", "requests", "joserfc", "ldap3")


def _loaded_after_create_app(config: dict) -> list[str]:
    """In a fresh interpreter: create the app with `config` and name the sign-in libraries
    (SIGN_IN_LIBRARIES) that are then in sys.modules."""
    code = (
        "import sys\n"
        "from perfsite import create_app\n"
        f"create_app({{'TESTING': True, 'SQLALCHEMY_DATABASE_URI': 'sqlite://', **{config!r}}})\n"
        f"print(' '.join(m for m in {SIGN_IN_LIBRARIES!r} if m in sys.modules))\n")
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=300, cwd=ROOT)
    assert run.returncode == 0, run.stderr[-3000:]
    return run.stdout.split()


def test_starting_the_app_loads_no_sign_in_library():
    """authlib (with requests and joserfc) and ldap3 are imported where single sign-on and
    the directory use them (perfsite/signin/oidc.py, directory.py, checks.py), not when
    the app starts: a start without them is most of a second shorter on a loaded machine."""
    assert _loaded_after_create_app({}) == []


def test_an_app_with_single_sign_on_loads_authlib_when_it_starts():
    """The check above sees imports: an app with OIDC_ISSUER set registers its provider
    with authlib at start-up (ldap3 still waits for the first directory sign-in)."""
    loaded = _loaded_after_create_app({"OIDC_ISSUER": "https://sso.example.test",
                                       "OIDC_CLIENT_ID": "perfsite"})
    assert "authlib" in loaded and "ldap3" not in loaded
