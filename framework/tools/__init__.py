"""Tooling around the core: the ``backplane`` command line, the run report, the
generated plugin reference, the compiled-build bookkeeping and test doubles."""
