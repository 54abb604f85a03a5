"""Simulator of the double-random inspection platform (:mod:`adapters.inspection`).

:mod:`~simulators.inspection.simulator` builds the app (``python -m`` it to serve one);
:mod:`~simulators.inspection.schema` documents the platform's records and
:mod:`~simulators.inspection.state` holds what it has received and drawn.
"""
