"""Reconciliation: does the store hold exactly what a platform holds (``gateway reconcile``)?

:mod:`~gateway.reconcile.digest` defines what both sides digest; :mod:`~gateway.reconcile.pull`
bisects a pull job's key space, :mod:`~gateway.reconcile.push` compares a push job's outbox with
the platform's receipts, :mod:`~gateway.reconcile.runner` audits and records the outcome.
"""
