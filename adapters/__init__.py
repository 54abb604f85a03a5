"""Platform adapters: one package per platform, each found by the runtime via entry points."""
