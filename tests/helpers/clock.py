"""The fake clock adapter authors get from :mod:`gateway.testing`, under its old name here."""

from gateway.testing.clock import FakeClock

__all__ = ["FakeClock"]
