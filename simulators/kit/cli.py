"""Command-line entry points of the simulators (``python -m simulators.X.simulator``).

Each simulator builds its parser with :func:`simulator_parser`, adds its own options, and hands
over to :func:`run_simulator`, which prints the bound URL on one line once the server accepts
connections, so a benchmark or a script can start it in its own process and read where it is.
Fault flags are generated from :class:`~simulators.kit.faults.FaultSettings`, so the CLI and
``POST /_sim/faults`` always offer the same settings.
"""

from __future__ import annotations

import argparse
import os
import secrets
import sys
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from pydantic import ValidationError

from gateway.errors import ConfigError, GatewayError
from gateway.http.signing import SignatureAlgorithm
from simulators.kit.auth import DEFAULT_WINDOW_SECONDS
from simulators.kit.faults import FaultSettings
from simulators.kit.openapi import openapi_text
from simulators.kit.runner import bind, serve

# The population's --seed is the simulator's; the faults' seed gets its own flag.
_FLAG_NAMES = {"seed": "--fault-seed"}


def fault_flag(name: str) -> str:
    """The command-line flag of a :class:`FaultSettings` field."""
    return _FLAG_NAMES.get(name, "--" + name.replace("_", "-"))


def add_fault_arguments(parser: argparse.ArgumentParser) -> None:
    """One flag per :class:`FaultSettings` field (``--error-rate``, ``--burst-503 N:K``, ...)."""
    group = parser.add_argument_group("faults", "what the simulated platform does wrong")
    for name, info in FaultSettings.model_fields.items():
        dest = f"fault_{name}"
        if info.annotation is bool:
            group.add_argument(
                fault_flag(name), dest=dest, action="store_true", help=info.description
            )
        else:
            group.add_argument(fault_flag(name), dest=dest, metavar="VALUE", help=info.description)


def fault_settings(args: argparse.Namespace) -> FaultSettings:
    """The fault settings the flags of :func:`add_fault_arguments` describe."""
    given = {
        name: getattr(args, f"fault_{name}")
        for name in FaultSettings.model_fields
        if getattr(args, f"fault_{name}", None) not in (None, False)
    }
    try:
        return FaultSettings.model_validate(given)
    except ValidationError as exc:
        error = exc.errors()[0]
        flag = fault_flag(str(error["loc"][0])) if error["loc"] else "faults"
        raise ConfigError(f"{flag}: {error['msg']}") from None


def parse_fault_assignments(assignments: Sequence[str]) -> FaultSettings:
    """Fault settings from ``NAME=VALUE`` texts (``error_rate=0.1``, ``burst_503=100:3``,
    ``down=true``), for commands that take a repeatable ``--fault`` option."""
    given: dict[str, str] = {}
    for assignment in assignments:
        name, sep, value = assignment.partition("=")
        if not sep or not name.strip():
            raise ConfigError(f"--fault {assignment!r}: expected NAME=VALUE")
        given[name.strip()] = value.strip()
    try:
        return FaultSettings.model_validate(given)
    except ValidationError as exc:
        error = exc.errors()[0]
        where = str(error["loc"][0]) if error["loc"] else "faults"
        raise ConfigError(f"--fault {where}: {error['msg']}") from None


def simulator_parser(prog: str, description: str, *, default_seed: int) -> argparse.ArgumentParser:
    """The options every simulator takes: where to listen, credentials, seed, faults."""
    parser = argparse.ArgumentParser(prog=prog, description=description)
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on")
    parser.add_argument("--port", type=int, default=0, help="port (0: any free port)")
    parser.add_argument("--seed", type=int, default=default_seed, help="seed of the data")
    parser.add_argument("--app-key", help="the application key clients sign with")
    parser.add_argument(
        "--secret-env", metavar="VAR", help="environment variable that holds the app secret"
    )
    parser.add_argument(
        "--algorithm",
        choices=[a.value for a in SignatureAlgorithm],
        default=SignatureAlgorithm.HMAC_SHA256.value,
        help="signature algorithm",
    )
    parser.add_argument(
        "--time-window",
        type=float,
        default=DEFAULT_WINDOW_SECONDS,
        help="accepted clock difference of X-Timestamp, seconds",
    )
    parser.add_argument(
        "--openapi", action="store_true", help="print the OpenAPI document and exit"
    )
    add_fault_arguments(parser)
    return parser


def common_settings(args: argparse.Namespace) -> dict[str, Any]:
    """Settings every simulator's ``build_app`` understands, from parsed arguments."""
    if args.openapi:
        # The document does not depend on the credentials; never ask for them just to print it.
        app_key, secret = args.app_key or "openapi", secrets.token_hex(16)
    else:
        if not args.app_key or not args.secret_env:
            raise ConfigError("--app-key and --secret-env are required to serve")
        secret = os.environ.get(args.secret_env, "")
        if not secret:
            raise ConfigError(
                "the secret's environment variable is not set", variable=args.secret_env
            )
        app_key = args.app_key
    return {
        "seed": args.seed,
        "app_key": app_key,
        "secret": secret,
        "algorithm": args.algorithm,
        "time_window_seconds": args.time_window,
        "faults": fault_settings(args).model_dump(exclude_defaults=True),
    }


def run_simulator(
    parser: argparse.ArgumentParser,
    build: Callable[[Mapping[str, Any]], Any],
    extra_settings: Callable[[argparse.Namespace], Mapping[str, Any]],
    argv: Sequence[str] | None = None,
) -> int:
    """Parse, build and serve until interrupted; the exit code for ``SystemExit``."""
    args = parser.parse_args(argv)
    try:
        app = build({**common_settings(args), **extra_settings(args)})
        if args.openapi:
            sys.stdout.write(openapi_text(app.openapi()))
            return 0
        sock = bind(args.host, args.port)
    except GatewayError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code
    serve(app, sock, lambda url: print(url, flush=True))
    return 0
