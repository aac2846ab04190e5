# newscrawl — `make demo` and `make test` each do all the set-up on a fresh machine.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
CORPUS ?= ../shared/corpus/wild
CORPUS_DIR ?= ../shared/corpus
TARGET ?= local

.PHONY: install system demo test lint crawl eval bench fixtures clean check-live deploy schedule report

## install: system components (Chromium, redis-server, PostgreSQL: scripts/install-system.sh,
##          apt-get when root or passwordless sudo, else the one command to run), then .venv
install: system $(STAMP)

system:
	@bash scripts/install-system.sh

$(STAMP): pyproject.toml setup.py
	@echo "==> python: creating $(VENV) with $(PYTHON)"
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	@echo "==> python: installing newscrawl and its pinned dependencies into $(VENV) (about a minute)"
	@bash -o pipefail -c '$(BIN)/pip install --progress-bar off -e ".[dev]" | grep --line-buffered -E "^(Obtaining|Collecting|Successfully installed)"'
	touch $(STAMP)

## demo: every spider, offline, against the bundled snapshot -> data/<spider>/<timestamp>.jsonl
demo: install
	$(BIN)/python scripts/demo.py --snapshot tests/fixtures

lint: install
	$(BIN)/ruff check newscrawl tests scripts
	$(BIN)/ruff format --check newscrawl tests scripts
	$(BIN)/mypy --strict newscrawl

## test: lint, types, and the offline test suite, on every core (pytest-xdist; whole test files
##       per worker, so a module's shared crawl runs once, slowest files first: tests/conftest.py);
##       TEST_WORKERS=0 runs it in one process
TEST_WORKERS ?= auto
test: lint
	$(BIN)/pytest -q -n $(TEST_WORKERS) --dist loadfile --no-loadscope-reorder

## crawl: the live crawl of all spiders with production settings
crawl: install
	@for s in $$($(BIN)/scrapy list); do echo "== $$s"; $(BIN)/scrapy crawl $$s || exit $$?; done

## check-live: live canary (network): a few articles per spider, coverage and layers, monitors
check-live: $(STAMP)
	$(BIN)/python -m newscrawl.operations.canary

## deploy: build the egg and upload it to scrapy.cfg's [deploy:$(TARGET)] (docs/deploy.md);
##         credentials from SCRAPYD_USERNAME / SCRAPYD_PASSWORD when set
deploy: $(STAMP)
	SCRAPYD_USERNAME="$${SCRAPYD_USERNAME:-}" SCRAPYD_PASSWORD="$${SCRAPYD_PASSWORD:-}" \
		$(BIN)/scrapyd-deploy $(TARGET)

## schedule: start every spider on Scrapyd ($$SCRAPYD_URL) unless already pending/running;
##           options in SCHEDULE, e.g. SCHEDULE="arab_news -a since=2026-11-01 -s REDIS_URL=redis://..."
schedule: $(STAMP)
	$(BIN)/newscrawl-schedule $(SCHEDULE)

## report: one self-contained HTML page of every run under data/ (or $$NEWSCRAWL_DATA_DIR):
##         items, drops, coverage, extraction layers, monitors, drift -> data/reports/index.html
report: $(STAMP)
	$(BIN)/newscrawl report --html $(REPORT)

## eval: extraction quality on real pages, every corpus folder under CORPUS_DIR (default
##       ../shared/corpus: wild, wild2, arabic), vs trafilatura; EVAL="-v" lists per-page misses
eval: $(STAMP)
	$(BIN)/python scripts/eval_wild.py --corpus-dir $(CORPUS_DIR) $(EVAL)

## bench: parse cost vs trafilatura, crawl rate vs `scrapy bench`, memory, rerun cost, rendering
##        -> table + data/bench/latest.json (docs/bench.md); BENCH="--strict" fails on a missed target
bench: $(STAMP)
	$(BIN)/python scripts/bench.py --corpus $(CORPUS) $(BENCH)

## fixtures: rewrite expected JSON of golden fixtures from the current parsers (review the diff!)
fixtures: $(STAMP)
	$(BIN)/python scripts/fixtures.py --update

clean:
	rm -rf $(VENV) build dist *.egg-info
