"""Simulator of the provincial labor-force data platform (:mod:`adapters.labor_force`).

:mod:`~simulators.labor_force.simulator` builds the app (``python -m`` it to serve one);
:mod:`~simulators.labor_force.schema` documents the platform's records and
:mod:`~simulators.labor_force.state` holds what it serves and has received.
"""
