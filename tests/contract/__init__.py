"""The contract suite: every contract over every stream of every installed adapter.

* :mod:`gateway.testing.checks` (shipped to adapter packages) holds the contracts as plain
  functions, each raising :class:`~gateway.testing.ContractBroken` with the contract's name and
  the stream's, and the table of which contract applies to which kind of stream;
* :mod:`gateway.testing.gate` is the faulting proxy in front of a simulator (server errors,
  timeouts, refusals, and the platform's own count of requests);
* :mod:`tests.contract.platforms` is the one module that knows each adapter's platform: how its
  simulator starts, how it is configured, what its push streams send;
* ``test_contracts.py`` runs the checks over every stream on SQLite and on PostgreSQL, and
  ``test_broken_copies.py`` shows that streams broken on purpose fail them by name.

An adapter joins the suite by its entry point alone; ``platforms.PLATFORMS`` then needs its
simulator's settings (the suite fails until it has them).
"""
