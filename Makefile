.DEFAULT_GOAL := help
.PHONY: help setup demo test lint format suites bench

help: ## list the targets
	@grep -E '^[a-z]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-8s %s\n", $$1, $$2}'

setup: ## install system and Python packages (scripts/bootstrap)
	scripts/bootstrap

demo: setup ## run the demo quarter end to end
	.venv/bin/plantrack demo

test: setup ## run the whole test suite
	.venv/bin/python -m pytest

lint: ## ruff lint
	.venv/bin/ruff check .

format: ## ruff format
	.venv/bin/ruff format .

suites: ## regenerate the expectation suites from the catalog
	.venv/bin/python -m plantrack.validate.suites

bench: setup ## run the benchmarks (minutes: 1,000 files)
	.venv/bin/python benchmarks/bench_landing.py --sizes 10,100,1000
	.venv/bin/python benchmarks/bench_render.py
	.venv/bin/python benchmarks/bench_flow.py --files 1000
