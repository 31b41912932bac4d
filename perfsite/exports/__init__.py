"""Exports (CSV and XLSX) and the printable review report (issue 13)."""
