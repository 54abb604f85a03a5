"""The pipeline: source stream → mapping → validation → batched write, one transaction a batch."""

from gateway.pipeline.runner import JobRunner, RunSummary

__all__ = ["JobRunner", "RunSummary"]
