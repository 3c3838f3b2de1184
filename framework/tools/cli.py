"""The ``backplane`` command line.

Core commands live here; plugins add their own through the
``backplane_commands`` hook (they appear as ordinary sub-commands), and the
generic ``simulate NAME`` / ``book NAME`` commands hand over to the plugin
command ``simulate-NAME`` / ``book-NAME``.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path

from framework.model.errors import ConfigError
from framework.plugin.manager import PluginHost, load_host

__all__ = ["EXIT_CODES", "main"]

EXIT_CODES = {
    0: "success",
    1: "invalid configuration, bad arguments, or a plugin failed to load",
    2: "command-line usage error",
    3: "the run finished but at least one strategy failed and was halted",
    4: "the run failed: a venue or component could not start or crashed",
    5: "shutdown did not finish within its bound; remaining tasks were cancelled",
    6: "another process is running this run id (the message names it); nothing was started",
    7: "orders the run believes open were left at exit (named in the log): check the venue",
    130: "interrupted before the run started",
}

_EPILOG = "exit codes:\n" + "\n".join(f"  {code:>3}  {text}" for code, text in EXIT_CODES.items())


def _parser(host: PluginHost) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="backplane",
        description="Plugin-based algorithmic trading framework.",
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    sub.add_parser("plugins", help="list every installed plugin")

    config = sub.add_parser("config", help="check, show or describe a run config")
    config_sub = config.add_subparsers(dest="config_command", required=True, metavar="ACTION")
    check = config_sub.add_parser("check", help="validate FILE; exit 0 if valid, 1 if not")
    check.add_argument("file", type=Path)
    show = config_sub.add_parser("show", help="print FILE resolved, secrets redacted")
    show.add_argument("file", type=Path)
    config_sub.add_parser("schema", help="print the JSON Schema of run config files")

    run = sub.add_parser(
        "run",
        help="run the strategies of a config",
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    run.add_argument("file", type=Path)
    run.add_argument("--duration", type=float, default=None, help="seconds; overrides run.duration")
    run.add_argument("--run-id", default=None, help="journal under runs/RUN_ID (restores it if present)")
    run.add_argument("--quiet", action="store_true", help="no live status line")

    for verb in ("simulate", "book"):
        names = sorted(n[len(verb) + 1 :] for n in host.commands if n.startswith(verb + "-"))
        p = sub.add_parser(verb, help=f"{verb} for a venue plugin ({', '.join(names) or 'none installed'})")
        p.add_argument("name", help="venue plugin name")
        p.add_argument("args", nargs=argparse.REMAINDER, help="arguments for the plugin")

    for name, spec in sorted(host.commands.items()):
        p = sub.add_parser(name, help=spec.help)
        spec.configure(p)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``backplane`` console script; returns the exit code."""
    host = load_host()
    parser = _parser(host)
    args = parser.parse_args(argv)
    try:
        if args.command == "plugins":
            return _plugins(host)
        if args.command == "config":
            return _config(host, args)
        if args.command == "run":
            return _run(host, args)
        if args.command in ("simulate", "book"):
            return _delegate(host, parser, args)
        return host.commands[args.command].run(args)
    except ConfigError as exc:
        print(str(exc), file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


def _plugins(host: PluginHost) -> int:
    rows = [("NAME", "KIND", "VERSION", "DISTRIBUTION", "PLUGIN")]
    rows += [(i.name, i.kind, i.version, i.distribution, i.plugin) for i in sorted(host.infos, key=lambda i: (i.kind, i.name))]
    widths = [max(len(r[c]) for r in rows) for c in range(len(rows[0]))]
    for row in rows:
        print("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip())
    for problem in host.problems:
        print(f"error: {problem}", file=sys.stderr)
    return 1 if host.problems else 0


def _config(host: PluginHost, args: argparse.Namespace) -> int:
    from framework import config

    schema = host.config_schema()
    if args.config_command == "schema":
        print(json.dumps(config.json_schema(schema), indent=2, sort_keys=True))
        return 0
    for problem in host.problems:
        print(f"warning: {problem}", file=sys.stderr)
    if args.config_command == "check":
        issues = config.check_config(args.file, schema)
        if not issues:
            from framework.runtime.runner import plan_issues

            issues = plan_issues(host, config.load_config(args.file, schema))
        if issues:
            print(config.format_issues(issues), file=sys.stderr)
            print(f"{args.file}: {len(issues)} problem(s)", file=sys.stderr)
            return 1
        print(f"{args.file}: ok")
        return 0
    cfg = config.load_config(args.file, schema)
    print(config.show_config(cfg), end="")
    return 0


def _run(host: PluginHost, args: argparse.Namespace) -> int:
    """``backplane run FILE [--duration S] [--run-id ID]``."""
    import asyncio
    import logging

    from framework import config as cfgmod
    from framework.journal.lock import RunLocked
    from framework.runtime.run import Run
    from framework.runtime.runner import EXIT_CONFIG, plan_issues, run_config
    from framework.runtime.status import summary_table

    for problem in host.problems:
        print(f"warning: {problem}", file=sys.stderr)
    try:
        cfg = cfgmod.load_config(args.file, host.config_schema())
        issues = plan_issues(host, cfg)
        if issues:
            raise ConfigError(issues)
    except ConfigError as exc:
        print(cfgmod.format_issues(exc.issues), file=sys.stderr)
        return EXIT_CONFIG
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    for chatty in ("httpx", "httpcore", "aiohttp.access"):
        logging.getLogger(chatty).setLevel(logging.WARNING)  # one line per request drowns the run's own

    def report(run: Run) -> None:
        if isinstance(run.outcome.fatal, RunLocked):
            print(f"backplane run: {run.outcome.fatal}", file=sys.stderr)
            return
        print(summary_table(run, run.stats))
        journal = run.session.journal
        if journal is not None:
            print(f"journal: {journal.run_dir}  (backplane report {journal.run_dir})")

    return asyncio.run(
        run_config(
            cfg, host, duration_s=args.duration, run_id=args.run_id,
            status_every_s=0 if args.quiet else 10, on_done=report,
        )
    )  # fmt: skip


def _delegate(host: PluginHost, parser: argparse.ArgumentParser, args: argparse.Namespace) -> int:
    command = f"{args.command}-{args.name}"
    spec = host.commands.get(command)
    if spec is None:
        import difflib

        known = sorted(n.split("-", 1)[1] for n in host.commands if n.startswith(args.command + "-"))
        close = difflib.get_close_matches(args.name, known, n=3)
        hint = f"did you mean {', '.join(close)}?" if close else f"available: {', '.join(known) or 'none'}"
        print(f"backplane {args.command}: no plugin provides {args.name!r} ({hint})", file=sys.stderr)
        return 1
    sub = argparse.ArgumentParser(prog=f"backplane {args.command} {args.name}", description=spec.help)
    spec.configure(sub)
    return spec.run(sub.parse_args(args.args))


if __name__ == "__main__":
    sys.exit(main())
