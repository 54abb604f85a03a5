"""The government data-exchange gateway: adapters, mappings, store, audit log, scheduler."""

__version__ = "0.1.0"
