"""The options every learner script takes, as ``flops learner`` spells them, and running a client from them.

    parser = flops_learner.cli.argument_parser("My learner")
    parser.add_argument("--shard", required=True)
    args = parser.parse_args()
    sys.exit(flops_learner.cli.run_from(args, MyClient(...), sample_count=n))
"""

from __future__ import annotations

import argparse
import os
import sys

from .client import NumPyClient
from .gateway import RegistrationRefused
from .runner import run

DEFAULT_GATEWAY = "http://127.0.0.1:5080"


def argument_parser(description: str) -> argparse.ArgumentParser:
    """--gateway (or $FLOPS_GATEWAY), --api-key (or $FLOPS_API_KEY), --name, --ca, --cluster, --data-tag, --max-tasks."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--gateway", default=os.environ.get("FLOPS_GATEWAY", DEFAULT_GATEWAY), help=f"the gateway's URL, http:// or https:// (default $FLOPS_GATEWAY or {DEFAULT_GATEWAY})")
    parser.add_argument("--api-key", default=os.environ.get("FLOPS_API_KEY"), help="the tenant's API key (default $FLOPS_API_KEY)")
    parser.add_argument("--name", help="the device's name (default: host and process id)")
    parser.add_argument("--ca", help="PEM file of the private CA that signed an https:// gateway's certificate")
    parser.add_argument("--cluster", default="default", help="edge cluster of this device (default: default)")
    parser.add_argument("--data-tag", action="append", help="data tag of the local data (repeatable; default mnist)")
    parser.add_argument("--max-tasks", type=int, help="stop after this many tasks trained")
    return parser


def run_from(args: argparse.Namespace, client: NumPyClient, *, sample_count: int) -> int:
    """Runs ``client`` with the options of :func:`argument_parser`; the process's exit code: 0 when stopped, 1 when the registration is refused, 2 for a wrong option."""
    if not args.api_key:
        print("flops learner: --api-key (or FLOPS_API_KEY) is required", file=sys.stderr)
        return 2
    try:
        run(
            args.gateway,
            args.api_key,
            client,
            name=args.name,
            data_tags=args.data_tag or ["mnist"],
            cluster=args.cluster,
            sample_count=sample_count,
            ca_file=args.ca,
            max_tasks=args.max_tasks,
        )
    except RegistrationRefused as error:
        print(f"flops learner: {error}", file=sys.stderr)
        return 1
    except ValueError as error:  # a URL, CA file or setting run() cannot use
        print(f"flops learner: {error}", file=sys.stderr)
        return 2
    return 0
