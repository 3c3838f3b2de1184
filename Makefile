# Two entry points for a fresh machine with only Python and make:
#   make demo   -- set up .venv and run the no-credentials demo
#   make test   -- set up .venv and run the whole test suite
# Optional compiled hot paths (mypyc; see setup.py):
#   make native -- compile them in place (the editable install picks them up)
#   make pure   -- remove the compiled modules: back to pure Python
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo test install clean native pure

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	PYTHONWARNINGS=ignore $(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	@if [ -f configs/demo.yaml ]; then \
		$(BIN)/backplane run configs/demo.yaml; \
	else \
		$(BIN)/backplane plugins; \
		echo "The no-credentials demo (configs/demo.yaml) is coming; above: the installed plugins."; \
	fi

test: $(STAMP)
	$(BIN)/python -m pytest -q -n 2 -p no:cacheprovider

# mypy provides mypyc; it is a build tool here, not a dependency of the package.
native: $(STAMP)
	$(BIN)/python -m pip install --quiet mypy
	BACKPLANE_MYPYC=1 PYTHONWARNINGS=ignore $(BIN)/python setup.py --quiet build_ext --inplace

# The compiled modules sit beside their .py files and win imports: remove
# them all (the shared mypyc runtime is framework/native__mypyc; older builds
# left it at the top of the tree).
pure:
	find framework plugins -name '*.so' -delete
	rm -f ./*__mypyc*.so
	rm -rf build

clean: pure
	rm -rf $(VENV) .pytest_cache *.egg-info
