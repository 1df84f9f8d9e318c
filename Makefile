# Two commands on a fresh machine: `make demo` and `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
CHROMIUM := /usr/bin/chromium
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: demo test bench lint format install clean chromium wrk screenshots

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

BENCH_STAMP := $(VENV)/.bench-installed
$(BENCH_STAMP): $(STAMP)
	$(BIN)/pip install --quiet --disable-pip-version-check -e '.[test,bench]'
	touch $(BENCH_STAMP)

demo: $(STAMP)
	$(BIN)/huitong demo

# The console's browser tests drive Debian's Chromium (Playwright never downloads a browser);
# a CJK font, when none is installed, so Chinese renders as text and not boxes.
chromium:
	test -x $(CHROMIUM) || { $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq chromium; }
	fc-list :lang=zh 2>/dev/null | grep -q . || { $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq fontconfig fonts-noto-cjk; }

test: $(STAMP) chromium
	HUITONG_REQUIRE_BROWSER=1 $(BIN)/pytest -n 2 -q

# bench/share_http_bench drives the server with wrk, a load generator in its own process.
wrk:
	command -v wrk >/dev/null || { $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq wrk; }

bench: $(BENCH_STAMP) wrk
	$(BIN)/python -m bench.run

# docs/screenshots/*.png: a small demo city served on a free port, photographed by Chromium.
screenshots: $(STAMP) chromium
	$(BIN)/python tools/screenshots.py

lint: $(STAMP)
	$(BIN)/ruff check huitong tests bench tools
	$(BIN)/ruff format --check huitong tests bench tools

format: $(STAMP)
	$(BIN)/ruff format huitong tests bench tools

clean:
	rm -rf $(VENV) huitong-demo .pytest_cache .hypothesis
