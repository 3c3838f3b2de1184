# Two entry points for a fresh machine with only Python and make:
#   make demo   -- set up .venv and run the no-credentials demo
#   make test   -- set up .venv and run the whole test suite
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo test install clean

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

clean:
	rm -rf $(VENV) .pytest_cache build *.egg-info
