"""The ``gateway`` command: one module per command group, each with ``register(app)``; the root
(:mod:`gateway.cli.root`) mounts them and holds ``main``."""
