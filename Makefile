# skygate — the two Quick-start commands are `make demo` and `make test`.
# Each creates what it needs (a virtual environment in .venv, system packages for the
# PostgreSQL and browser tests) so that a fresh machine with Python >= 3.11 is enough.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)

.PHONY: demo test venv system web bench clean

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "skygate needs Python >= 3.11")'
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	rm -f $(VENV)/.installed-*
	touch $(STAMP)

venv: $(STAMP)

# The web map's assets (Leaflet from the npm registry + web/src), built into the package.
WEB_OUT := src/skygate/api/static/BUILD.json
$(WEB_OUT): web/package.json web/package-lock.json web/build.mjs $(wildcard web/src/*)
	@if command -v npm >/dev/null 2>&1; then \
	  cd web && npm ci --no-audit --no-fund && npm run build; \
	elif [ -n "$$CI" ]; then \
	  echo "make web: npm not found and CI is set: install Node.js >= 18 (make system) so the web map is built and tested" >&2; exit 1; \
	else \
	  echo "make web: npm not found; install Node.js >= 18 (e.g. apt-get install nodejs npm) to build the web map; the API works without it and its browser tests skip (they fail when CI is set)" >&2; \
	fi

web: $(WEB_OUT)

system:
	bash scripts/setup-system.sh

demo: venv
	$(BIN)/skygate demo

test: venv system web
	$(BIN)/python -m pytest -n 2 -W error

bench: venv
	for b in benchmarks/*.py; do $(BIN)/python $$b || exit 1; done

clean:
	rm -rf $(VENV) build dist src/*.egg-info .pytest_cache
