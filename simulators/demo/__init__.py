"""``gateway demo``: a complete working directory, simulators on loopback, every job once.

Each platform contributes its part (platforms, jobs, inbox files) through the
``gateway.demo_parts`` entry-point group (:mod:`~simulators.demo.config`);
:mod:`~simulators.demo.run` is the command. :mod:`~simulators.demo.handling` stands in for the
bureau's own business system.
"""
