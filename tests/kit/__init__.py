"""The integrator's kit: a package written by ``gateway adapters new``, installed into this
environment, tested, listed, synced and broken on purpose; the tutorial run end to end."""
