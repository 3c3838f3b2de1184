"""The framework's own plugin: config sections and commands of the core.

Registered through the ``backplane`` entry points like every other plugin
(``core = "framework.plugin.builtin"``), so the core is a registry, a bus and a loop,
and what it adds to the config file and the CLI is listed by ``backplane
plugins`` with everything else.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from framework.execution.resolver import ExecutionSettings
from framework.journal.reconcile import ReconcileSettings
from framework.paper import PaperSettings
from framework.plugin.hookspecs import hookimpl
from framework.plugin.specs import CommandSpec, ConfigSectionSpec, VenueSpec
from framework.tools.testing import ScriptedVenue, ScriptedVenueSettings


@hookimpl
def backplane_config_sections() -> list[ConfigSectionSpec]:
    return [
        ConfigSectionSpec("paper", PaperSettings, "how the paper exchange simulates venues in paper mode"),
        ConfigSectionSpec("execution", ExecutionSettings, "how orders whose answer was lost are resolved from the venue"),
        ConfigSectionSpec("reconcile", ReconcileSettings, "what a resumed live run does with orders only the venue knows"),
    ]


@hookimpl
def backplane_venues() -> list[VenueSpec]:
    return [
        VenueSpec(
            "scripted", ScriptedVenue, ScriptedVenueSettings,
            "random-walk books on the run's clock, no network (paper mode only)",
            unsupported_modes={"live": "the scripted venue has no order entry: use mode paper"},
        )
    ]


@hookimpl
def backplane_commands() -> list[CommandSpec]:
    from framework import scaffold

    return [
        CommandSpec("new", "create a venue, strategy or risk-check plugin package", scaffold.configure, scaffold.run),
        CommandSpec("report", "summarize a run journal and draw its PnL and inventory", _report_args, _report),
    ]


def _report_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("run_dir", type=Path, help="the run's directory, e.g. runs/<run-id>")
    parser.add_argument("--out", type=Path, default=None, help="where to write the HTML picture")


def _report(args: argparse.Namespace) -> int:
    from framework.tools.report import format_summary, summarize, write_picture

    if not (args.run_dir / "journal.sqlite").exists():
        print(f"backplane report: {args.run_dir} holds no journal.sqlite", file=sys.stderr)
        return 1
    print(format_summary(summarize(args.run_dir)))
    print(f"picture: {write_picture(args.run_dir, args.out)}")
    return 0
