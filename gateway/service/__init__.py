"""``gateway run``: the scheduler service, its job leases, health endpoints and metrics.

- :mod:`~gateway.service.triggers`: a job's schedule as a trigger, and due times;
- :mod:`~gateway.service.leases`: which instance runs which job (lease rows, advisory locks);
- :mod:`~gateway.service.scheduler`: firing jobs and deciding whether this instance runs them
  (:mod:`~gateway.service.outcome`: what it reads from a finished run);
- :mod:`~gateway.service.metrics` and :mod:`~gateway.service.health`: what a scraper and a
  probe see;
- :mod:`~gateway.service.main`: the lifecycle, signals included.
"""

from gateway.service.leases import Lease, LeaseManager, lease_holders
from gateway.service.main import Service
from gateway.service.metrics import ServiceMetrics
from gateway.service.outcome import RunOutcome
from gateway.service.scheduler import Execute, JobScheduler

__all__ = [
    "Execute",
    "JobScheduler",
    "Lease",
    "LeaseManager",
    "RunOutcome",
    "Service",
    "ServiceMetrics",
    "lease_holders",
]
