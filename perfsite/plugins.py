"""What one area plugs into another, per app, and only when create_app says so.

`perfsite/areas.py`'s `plug_in(app)` is the one list of them:
- COMPETENCY_SOURCES: the competency inputs of the final score (the manager's ratings,
  the 360 feedback groups); each `source(inputs)` yields `scores.CompetencyInput`s;
- PHASE_HOOKS: (phase, act): `act(cycle, actor)` runs, in the same transaction, when a
  cycle moves forward into `phase`;
- TODO_COLLECTORS: `collect(people by id, now)` -> [(person id, Todo)], beside the
  planning and coaching to-dos;
- NOTIFICATION_HOOKS: `hook(recipient, notification)` for every in-app notification.

Importing a module never adds to them, and each app keeps its own (app.extensions), so two
apps in one process never hear each other's (tests/test_structure.py holds both).
"""

from __future__ import annotations

from flask import Flask, current_app

COMPETENCY_SOURCES = "perfsite.competency_sources"
PHASE_HOOKS = "perfsite.phase_hooks"
TODO_COLLECTORS = "perfsite.todo_collectors"
NOTIFICATION_HOOKS = "perfsite.notification_hooks"
KINDS = (COMPETENCY_SOURCES, PHASE_HOOKS, TODO_COLLECTORS, NOTIFICATION_HOOKS)


def add(app: Flask, kind: str, item) -> None:
    """Plug `item` into `kind` for `app` (once: adding it again changes nothing)."""
    if kind not in KINDS:
        raise KeyError(kind)
    items = app.extensions.setdefault(kind, [])
    if item not in items:
        items.append(item)


def registered(kind: str) -> tuple:
    """What the current app has plugged into `kind`, in the order it was added."""
    if kind not in KINDS:
        raise KeyError(kind)
    return tuple(current_app.extensions.get(kind, ()))
