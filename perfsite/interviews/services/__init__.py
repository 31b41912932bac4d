"""The rules of feedback interviews and outcomes (see each module's docstring)."""

from . import todos  # registers the interview to-dos with the to-do list

__all__ = ["todos"]
