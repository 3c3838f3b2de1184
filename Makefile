# Two entry points for a fresh machine with only Python and make:
#   make demo   -- set up .venv and run the no-credentials demo
#   make test   -- set up .venv and run the whole test suite
# Both compile the hot paths with mypyc first when the machine has a C
# compiler and Python's headers (tools/build-native.sh; pure Python otherwise),
# and again whenever one of their sources changed.
#   make native -- compile them now, changed or not
#   make pure   -- remove the compiled modules (the next make compiles again;
#                  BACKPLANE_PURE=1 keeps a tree pure)
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
NATIVE := $(VENV)/.native

# The compiled modules' sources: framework/tools/native.py's NATIVE_MODULES
# (tests/test_native_build.py keeps the two lists equal).
NATIVE_SOURCES := \
	framework/books/bookstats.py framework/books/l2book.py framework/books/l3book.py framework/risk/window.py framework/books/wire.py \
	plugins/dydx/codec/decoder.py plugins/dydx/codec/fills.py plugins/dydx/codec/notices.py \
	plugins/dydx/codec/ops.py plugins/dydx/codec/orderread.py plugins/dydx/codec/snapshot.py \
	plugins/dydx/codec/state.py plugins/dydx/codec/stats.py plugins/dydx/ids.py \
	plugins/polymarket/codec/marketdata.py plugins/polymarket/codec/mdwire.py plugins/polymarket/codec/orders.py

.PHONY: demo test install clean native pure

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	PYTHONWARNINGS=ignore $(BIN)/python -m pip install --quiet -e '.[test,native]'
	touch $(STAMP)

$(NATIVE): $(STAMP) $(NATIVE_SOURCES) setup.py framework/tools/native.py tools/build-native.sh
	bash tools/build-native.sh $(BIN)/python $(NATIVE)

install: $(NATIVE)

# Compile now, whatever changed.
native: $(STAMP)
	rm -f $(NATIVE)
	$(MAKE) --no-print-directory install

demo: install
	$(BIN)/backplane run configs/demo.yaml

test: install
	$(BIN)/python -m pytest -q -n 2 -p no:cacheprovider

pure:
	bash tools/build-native.sh --remove $(NATIVE)

clean: pure
	rm -rf $(VENV) .pytest_cache *.egg-info
