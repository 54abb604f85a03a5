"""Simulators of the provincial platforms, and the demo built on them.

Not the runtime: ``gateway`` and ``adapters`` never import this package. It is installed with
the ``[sim]`` extra's dependencies (FastAPI, uvicorn) and found through entry points:
``gateway.simulators`` (one simulator per adapter), ``gateway.demo_parts`` (each platform's part
of ``gateway demo``) and ``gateway.sim_commands`` (what ``gateway simulate`` and ``gateway demo``
run). :mod:`simulators.kit` is what every simulator is built from.
"""
