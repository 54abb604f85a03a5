"""The read-only web console for auditors and operators (docs/console.md, decision 0016).

Server-rendered pages (Starlette and Jinja2, no script at all) over the same functions as the
commands: ``gateway status``, ``runs``, ``dlq``, ``audit verify|trace|export`` and the adapters'
reports. Its stack is the ``console`` extra; :func:`missing_extra` says in one line when it is
not installed, and ``gateway run`` then serves no console but still runs the jobs.
"""

from __future__ import annotations

from importlib.util import find_spec

EXTRA_MODULES = ("starlette", "jinja2", "multipart", "itsdangerous", "argon2", "uvicorn")


def missing_extra() -> str | None:
    """One line naming the extra to install when the console's stack is missing, else None."""
    missing = [name for name in EXTRA_MODULES if find_spec(name) is None]
    if not missing:
        return None
    return (
        "the web console needs the 'console' extra (pip install 'gov-exchange-gateway[console]'); "
        f"missing: {', '.join(missing)}"
    )
