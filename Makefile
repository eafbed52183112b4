.DEFAULT_GOAL := help
.PHONY: help setup demo test test-fast lint format suites bench

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-10s %s\n", $$1, $$2}'

setup: ## install system and Python packages (scripts/bootstrap)
	scripts/bootstrap

demo: setup ## run the demo quarter end to end
	.venv/bin/plantrack demo

test: setup ## run the whole test suite
	.venv/bin/python -m pytest

test-fast: setup ## the tests that do not run a real Prefect flow
	.venv/bin/python -m pytest -m "not flow"

lint: ## ruff lint and format check
	.venv/bin/ruff check .
	.venv/bin/ruff format --check .

format: ## ruff format
	.venv/bin/ruff format .

suites: ## regenerate the expectation suites from the catalog
	.venv/bin/python -m plantrack.validate.suites

bench: setup ## run the benchmarks (minutes: 1,000 files)
	.venv/bin/python benchmarks/bench_landing.py --sizes 10,100,1000
	.venv/bin/python benchmarks/bench_render.py
	.venv/bin/python benchmarks/bench_flow.py --files 1000
