# newscrawl — `make demo` and `make test` each do all the set-up on a fresh machine.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
CORPUS ?= ../shared/corpus/wild
TARGET ?= local

.PHONY: install demo test lint crawl eval bench fixtures clean check-live deploy schedule

install: $(STAMP)

$(STAMP): pyproject.toml setup.py
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[dev]"
	touch $(STAMP)

## demo: every spider, offline, against the bundled snapshot -> data/<spider>/<timestamp>.jsonl
demo: $(STAMP)
	$(BIN)/python scripts/demo.py --snapshot tests/fixtures

lint: $(STAMP)
	$(BIN)/ruff check newscrawl tests scripts
	$(BIN)/ruff format --check newscrawl tests scripts
	$(BIN)/mypy --strict newscrawl

## test: lint, types, and the offline test suite
test: lint
	$(BIN)/pytest -q

## crawl: the live crawl of all spiders with production settings
crawl: $(STAMP)
	@for s in $$($(BIN)/scrapy list); do echo "== $$s"; $(BIN)/scrapy crawl $$s || exit $$?; done

## check-live: live canary (network): a few articles per spider, coverage and layers, monitors
check-live: $(STAMP)
	$(BIN)/python -m newscrawl.canary

## deploy: build the egg and upload it to scrapy.cfg's [deploy:$(TARGET)] (docs/deploy.md);
##         credentials from SCRAPYD_USERNAME / SCRAPYD_PASSWORD when set
deploy: $(STAMP)
	SCRAPYD_USERNAME="$${SCRAPYD_USERNAME:-}" SCRAPYD_PASSWORD="$${SCRAPYD_PASSWORD:-}" \
		$(BIN)/scrapyd-deploy $(TARGET)

## schedule: start every spider on Scrapyd ($$SCRAPYD_URL) unless already pending/running;
##           options in SCHEDULE, e.g. SCHEDULE="arab_news -a since=2026-11-01 -s REDIS_URL=redis://..."
schedule: $(STAMP)
	$(BIN)/newscrawl-schedule $(SCHEDULE)

## eval: extraction quality on real pages (default ../shared/corpus/wild), vs trafilatura
eval: $(STAMP)
	$(BIN)/python scripts/eval_wild.py --corpus $(CORPUS)

## bench: parse cost vs trafilatura, crawl rate vs `scrapy bench`, memory, rerun cost, rendering
##        -> table + data/bench/latest.json (docs/bench.md); BENCH="--strict" fails on a missed target
bench: $(STAMP)
	$(BIN)/python scripts/bench.py --corpus $(CORPUS) $(BENCH)

## fixtures: rewrite expected JSON of golden fixtures from the current parsers (review the diff!)
fixtures: $(STAMP)
	$(BIN)/python scripts/fixtures.py --update

clean:
	rm -rf $(VENV) build dist *.egg-info
