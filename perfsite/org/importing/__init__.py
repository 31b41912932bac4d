"""The org-chart import, in three steps: reading.py (CSV, XLSX files into rows), checking.py
(the plan: each row against the org rules and the other rows) and applying.py (bulk writes),
plus exporting.py. Callers import the public names from perfsite/org/importer.py."""
