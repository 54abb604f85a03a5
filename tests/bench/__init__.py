"""The labor-force pull benchmark: ``make bench`` (see docs/performance.md)."""
