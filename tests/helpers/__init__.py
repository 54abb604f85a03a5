"""What tests share: databases, a fake clock, configurations, simulated environments, data.

Test modules import from here and never from one another. The integrator kit (its own issue)
will ship some of these to adapter authors: ``pg`` (throw-away databases) and ``clock`` depend
on the runtime's public parts only.
"""
