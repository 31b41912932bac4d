"""Performance planning: strategy targets cascaded into department goals and weighted KPIs."""
