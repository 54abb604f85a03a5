"""What tests share: databases, a fake clock, configurations, simulated environments, data.

Test modules import from here and never from one another. What adapter authors need too ships
in :mod:`gateway.testing` (the fake clock, a stream's context, scripted transports, captured
exchanges, the contract checks); ``clock`` here is that fake clock under its old name.
"""
