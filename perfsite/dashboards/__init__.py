"""Dashboards: each role's questions answered at a glance, with charts (issue 13)."""
