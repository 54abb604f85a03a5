"""Simulator of the government service network (:mod:`adapters.service_network`).

:mod:`~simulators.service_network.simulator` builds the app (``python -m`` it to serve one);
:mod:`~simulators.service_network.schema` documents the platform's records and
:mod:`~simulators.service_network.state` holds its catalogue, cases and events.
"""
