# Two commands on a fresh machine with Python 3.11+ and make:
#   make demo   set everything up, start the simulators, run every job once
#   make test   set everything up and run the whole test suite
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-$(shell cat pyproject.toml constraints.txt | cksum | cut -d' ' -f1)
ARGS   ?=

.PHONY: install demo test lint bench wheelhouse clean

$(STAMP): pyproject.toml constraints.txt
	@$(PYTHON) -c 'import sys; sys.exit("Python 3.11+ is needed, found " + sys.version.split()[0]) if sys.version_info < (3, 11) else None'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[dev,sim,console]'
	@rm -f $(VENV)/.installed-*
	@touch $@

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/gateway demo $(ARGS)

test: $(STAMP)
	$(BIN)/pytest $(ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/mypy gateway adapters mappings simulators

bench: $(STAMP)
	$(BIN)/python -m tests.bench.run $(ARGS)

wheelhouse: $(STAMP)
	rm -rf wheelhouse build
	$(BIN)/python -m pip wheel --quiet -c constraints.txt -w wheelhouse '.[console]'
	@echo "offline bundle in wheelhouse/: pip install --no-index --find-links wheelhouse 'gov-exchange-gateway[console]'"

clean:
	rm -rf $(VENV) wheelhouse build *.egg-info .pytest_cache .mypy_cache .ruff_cache
