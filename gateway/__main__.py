"""``python -m gateway`` is the ``gateway`` command."""

from gateway.cli.root import main

main()
