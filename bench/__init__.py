"""Benchmarks: ``python -m bench NAME [--json]``.

Each ``bench/<name>.py`` module defines ``run(quick: bool) -> dict[str, float]``
returning figures whose names carry their unit (``*_per_s``, ``*_ns``,
``*_ratio``), each measured beside a simple baseline in the same run.
"""
