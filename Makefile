# Todoku: `make run` serves the demo, `make test` runs every check. Both install what they need.
SHELL := /bin/bash
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
export PORT
FLASK := $(BIN)/flask --app 'app:create_app()'
CATALOGS := tracking/translations
STAMP := $(VENV)/.installed-$(shell sha1sum pyproject.toml | cut -c1-12)

.PHONY: run test audit install translations extract lint fmt migrate demo worker bench clean mutation scale screenshots

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev]'
	@rm -f $(VENV)/.installed-*; touch $@

install: $(STAMP) translations

translations: $(STAMP)
	@$(BIN)/pybabel compile -d $(CATALOGS) >/dev/null

# Re-extract strings and merge them into the catalogues (then translate the new ja entries).
extract: $(STAMP)
	$(BIN)/pybabel extract -w 100 -F tracking/translations/babel.cfg -k _l -k lazy_gettext --no-location --sort-output -o $(CATALOGS)/messages.pot carriers tracking templates
	$(BIN)/pybabel update -w 100 -i $(CATALOGS)/messages.pot -d $(CATALOGS) --no-fuzzy-matching --ignore-obsolete

migrate: install
	$(FLASK) db upgrade

demo: migrate
	$(FLASK) demo

run: demo
	@echo
	@echo "Todoku is serving on http://127.0.0.1:$(PORT)  (Ctrl-C stops it)"
	@echo "  Japanese tea shop:   http://127.0.0.1:$(PORT)/sakura-tea/   (ST-1001 + hanako@example.com or 150-0001)"
	@echo "  Outdoor-gear shop:   http://127.0.0.1:$(PORT)/northpeak/    (NP-2001 + alex@example.com or 97205)"
	@echo "  Staff (returns queue, mail preview): http://127.0.0.1:$(PORT)/admin/login"
	@echo "                       staff@sakura-tea.example / todoku-demo-staff"
	@echo "  Health check:        http://127.0.0.1:$(PORT)/healthz"
	@echo "  The worker asks the (simulated) carriers about due parcels; its log: instance/worker.log"
	@echo
	@$(FLASK) worker --interval 60 >instance/worker.log 2>&1 & worker=$$!; \
	  trap 'kill $$worker 2>/dev/null' EXIT INT TERM; \
	  $(BIN)/gunicorn -c python:tracking.operations.gunicorn_conf --bind 127.0.0.1:$(PORT) 'app:create_app()'

worker: migrate
	$(FLASK) worker

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports --no-cache

fmt: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# pytest-xdist: one worker per core (at most 4); each worker has its own PostgreSQL database
# and SQLite files (tests/conftest.py). loadgroup keeps each xdist_group on one worker
# (docs/testing.md). `make test PYTEST_WORKERS=0` runs in one process.
PYTEST_WORKERS ?= $(shell n=$$(nproc 2>/dev/null || echo 1); echo $$(( n < 4 ? n : 4 )))
test: lint audit
	$(BIN)/pytest -n $(PYTEST_WORKERS) --dist loadgroup

# pip-audit (docs/security.md, "Known-vulnerable dependencies"): first exactly the pins of
# pyproject.toml (dependencies and dev extras), then everything installed in .venv, which adds the
# pins' own dependencies that pyproject does not pin. --strict: a package the advisory service
# cannot answer for fails the audit (without it pip-audit skips the package and passes). Where
# the advisory service cannot be reached at all (a mirror without PyPI's per-release feed, no
# network) the audit says loudly that nothing was checked and lets the tests run; AUDIT=strict
# makes that a failure, AUDIT=skip skips it and says so.
AUDIT_SERVICE ?= pypi
AUDIT ?= on
AUDIT_FLAGS := --strict --progress-spinner off --vulnerability-service $(AUDIT_SERVICE)
AUDIT_PROBE := $(BIN)/python -c 'import sys, urllib.request; u = {"pypi": "https://pypi.org/pypi/pip-audit/2.10.1/json", "osv": "https://api.osv.dev/v1/vulns/OSV-2020-111"}.get("$(AUDIT_SERVICE)"); u and urllib.request.urlopen(u, timeout=10)'
audit: $(STAMP)
ifeq ($(AUDIT),skip)
	@echo "audit: SKIPPED (AUDIT=skip): the pinned dependencies were NOT checked for known vulnerabilities" >&2
else
	@if [ "$(AUDIT)" != strict ] && ! $(AUDIT_PROBE) 2>/dev/null; then \
	  echo "audit: NOT CHECKED: the $(AUDIT_SERVICE) advisory service cannot be reached from here; the pinned dependencies were NOT checked for known vulnerabilities (AUDIT=strict fails instead)" >&2; \
	else \
	  $(BIN)/python -c 'import tomllib; p = tomllib.load(open("pyproject.toml", "rb"))["project"]; print(*p["dependencies"], *p["optional-dependencies"]["dev"], sep="\n")' >$(VENV)/audit-pins.txt && \
	  $(BIN)/pip-audit $(AUDIT_FLAGS) --no-deps --disable-pip --requirement $(VENV)/audit-pins.txt && \
	  $(BIN)/pip-audit $(AUDIT_FLAGS) --skip-editable; \
	fi
endif

# The browser tests again, saving full-page pictures to tests/screenshots/ to look at (both
# languages, phone and desktop widths); `make test` runs the same tests without saving them.
screenshots: install
	TODOKU_SCREENSHOTS=1 $(BIN)/pytest tests/browser -n $(PYTEST_WORKERS) --dist loadgroup
	@echo "screenshots: $$(ls tests/screenshots/*.png | wc -l) files in tests/screenshots/"

# Mutation testing of the rule modules (docs/testing.md); slow, not part of `make test`.
MUTATE := "tracking.normalize.*" "tracking.returns.machine.*" "tracking.security.*" \
  "tracking.returns.links.*" "tracking.page.events.x_read_view*" "tracking.page.events.x_view_token*" \
  "tracking.orders.lookup.*" "carriers.numbers.*" "carriers.*ǁvalidate*" "carriers.*.x_classify*" \
  "carriers.japan.*ǁclassify*" "tracking.returns.policy.*" "tracking.page.view.x_page_view*" \
  "tracking.returns.queries.x_by_public_id*" "tracking.returns.queries.x_by_rma*" \
  "tracking.web.staff.returns.x__return_or_404*"
MUTATION_CHILDREN ?= 2
mutation: install
	rm -rf mutants && mkdir mutants && echo "$$(date +%s) $$(cut -d' ' -f2 /proc/loadavg)" >mutants/.started
	env -u TODOKU_TEST_DATABASE_URL PYTEST_PLUGINS=tests.mutation.plugin $(BIN)/mutmut run --max-children $(MUTATION_CHILDREN) $(MUTATE) || true
	$(BIN)/python tests/mutation/tables.py
	$(BIN)/python tests/mutation/report.py $(MUTATE)

# The scale tests at the issues' full sizes (PostgreSQL only: TODOKU_TEST_DATABASE_URL must name
# a scratch database): 4 worker processes over 5,000 due shipments (issue 12) and over 2,000 due
# mails (issue 11). `make test` runs the same tests at 300 shipments and 200 mails. Then the
# failover drill (issue 22; PostgreSQL and the local Redis, db 12: TODOKU_DRILL_REDIS_URL), which
# `make test` skips: two webs and two workers, one of each killed with SIGKILL, PostgreSQL's
# connections cut, Redis lost; it prints its figures. Minutes.
scale: install
	TODOKU_SCALE_SHIPMENTS=5000 $(BIN)/pytest -k postgres --durations=1 tests/sync/test_scale.py
	MAIL_LOAD_N=2000 $(BIN)/pytest --durations=1 tests/mail/test_workers.py
	TODOKU_DRILL=1 $(BIN)/pytest -s --durations=1 tests/operations/test_failover.py

# Every figure of issue 23 into bench/results.md (bench/README.md): wrk and Chromium from
# Debian's packages when missing (as .ci/run installs Chromium), PostgreSQL at 127.0.0.1:5432
# for the PostgreSQL parts (scratch databases todoku_bench_*, dropped after). Under 10 minutes.
BENCH_ARGS ?=
BENCH_START := $(shell date +%s)
bench:
	@if ! command -v wrk >/dev/null 2>&1 || [ ! -x /usr/bin/chromium ]; then \
	  if command -v apt-get >/dev/null 2>&1; then \
	    echo "bench: installing wrk and chromium (apt-get)"; \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk chromium) \
	      >/tmp/todoku-bench-apt.log 2>&1 || echo "bench: apt-get failed; see /tmp/todoku-bench-apt.log"; \
	  fi; \
	fi
	@command -v wrk >/dev/null 2>&1 || { echo "bench: FAIL: wrk is not installed (apt-get install wrk)" >&2; exit 1; }
	@$(MAKE) --no-print-directory install
	$(BIN)/python bench/all.py --since $(BENCH_START) $(BENCH_ARGS)

clean:
	rm -rf $(VENV) instance .pytest_cache .ruff_cache
