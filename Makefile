# wijklib — run `make help` for the targets.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
YEAR ?= 2025
JOBS ?= $(shell nproc 2>/dev/null || echo 2)
CONFIG ?= config/demo.yaml

.DEFAULT_GOAL := help
.PHONY: help venv system-deps demo-data reports screenshots lab test test-all test-reference lint benchmarks clean

help: ## Show this help
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z_-]+:.*## / {printf "  \033[36m%-14s\033[0m %s\n", $$1, $$2}' $(MAKEFILE_LIST)

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev,lab]"
	$(BIN)/python -c "from wijklib.report.runner import ensure_kernel; ensure_kernel()"
	@touch $(STAMP)

venv: $(STAMP) ## Create .venv, install wijklib with its dependencies and JupyterLab, register the 'wijklib' kernel

system-deps: ## Install system libraries (Pango for WeasyPrint, poppler-utils) where missing
	@bash scripts/install-system-deps.sh

demo-data: venv ## Generate the synthetic demo city into data/raw/demo/
	$(BIN)/python -m wijklib.demo --out data/raw/demo

reports: venv system-deps demo-data ## Build every ward report of the demo city (PDF + HTML) into reports/
	$(BIN)/python -m wijklib.report --config $(CONFIG) --year $(YEAR) --wards all --jobs $(JOBS)

screenshots: venv system-deps demo-data ## Regenerate the README's report screenshots (docs/img) from a fresh Tarwewijk report
	$(BIN)/python -m wijklib.report --config $(CONFIG) --year $(YEAR) --wards tarwewijk --formats pdf --out build/screenshots --no-progress --force
	pdftoppm -png -r 60 -f 1 -l 2 build/screenshots/$(YEAR)/wijkrapport_$(YEAR)_tarwewijk.pdf docs/img/wijkrapport_$(YEAR)_tarwewijk

lab: venv demo-data ## Start JupyterLab on notebooks/ with the project's kernel ('Python (wijklib)')
	$(BIN)/python -c "from wijklib.report.runner import ensure_kernel; ensure_kernel()"
	$(BIN)/jupyter lab --notebook-dir=notebooks --MultiKernelManager.default_kernel_name=wijklib

test: venv system-deps demo-data ## Run the test suite (slow simulations excluded; includes the 3-ward PDF end-to-end test)
	$(BIN)/python -m pytest -q -m "not slow"

test-all: venv system-deps demo-data ## Run every test, slow simulations included
	$(BIN)/python -m pytest -q

test-reference: venv ## Check the published reference numbers; FAILS when ../shared/reference-data is missing
	WIJKLIB_REQUIRE_REFERENCE=1 $(BIN)/python -m pytest -q -p no:cacheprovider tests/reference

lint: venv ## Ruff lint
	$(BIN)/ruff check wijklib tests benchmarks

benchmarks: venv system-deps ## Run every benchmark against its peers (slow; see benchmarks/README.md)
	$(BIN)/python -m benchmarks.bench_its
	$(BIN)/python -m benchmarks.bench_did --reuse
	$(BIN)/python -m benchmarks.bench_event_study_poisson --reuse
	$(BIN)/python -m benchmarks.bench_reports --placebo
	$(BIN)/python -m benchmarks.bench_pdf_engines

clean: ## Remove generated data and reports (raw inputs stay)
	rm -rf data/processed/* reports/* data/raw/demo/*
	git checkout -- data/processed/README.md reports/README.md data/raw/demo/README.md 2>/dev/null || true
