"""The rules of feedback interviews and outcomes (see each module's docstring)."""
