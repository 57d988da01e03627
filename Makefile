# Grassroots: one entry point for people and CI. See README.md.
SHELL := /bin/bash
.DEFAULT_GOAL := help

UV ?= $(shell command -v uv 2>/dev/null || echo "python3 -m uv")
RUN := $(UV) run --frozen
PYTEST_ARGS ?=

.PHONY: help install up down ps test test-unit lint fmt typecheck contracts contracts-check token k8s bench bench-store bench-requests chaos capacity clean

help: ## list the targets
	@grep -E '^[a-z0-9-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-16s %s\n", $$1, $$2}'

install: ## install Python dependencies into .venv (uv; one lock file)
	@command -v uv >/dev/null 2>&1 || python3 -m uv --version >/dev/null 2>&1 || python3 -m pip install -q uv
	$(UV) sync --all-packages --frozen

up: install ## run the whole system locally with the Dong'an demo; prints the URLs
	$(RUN) grassroots stack up

down: ## stop exactly what `make up` started
	$(RUN) grassroots stack down

ps: ## what runs, with health
	$(RUN) grassroots stack ps

test: install lint typecheck ## every test, against real Kafka and PostgreSQL (starts the stack if needed)
	$(RUN) grassroots stack test -- $(PYTEST_ARGS)

test-unit: install ## pure tests only: no stack needed
	$(RUN) pytest -m "unit or contract" tests/unit tests/contract -q

lint: install ## ruff check + format check
	$(RUN) ruff check .
	$(RUN) ruff format --check .

fmt: install ## ruff format + autofix
	$(RUN) ruff format .
	$(RUN) ruff check --fix .

typecheck: install ## mypy strict on contracts, eventkit and the domain packages
	$(RUN) mypy

contracts: install ## regenerate contracts/schemas (JSON Schema + AsyncAPI 3)
	$(RUN) python -m grassroots_contracts write --out contracts/schemas

contracts-check: install ## fail if a committed schema was changed incompatibly
	$(RUN) python -m grassroots_contracts check --dir contracts/schemas

ROLE ?= county_admin
token: install ## a dev token: make token ROLE=community_staff COMMUNITY=茶亭社区 [SUBJECT=..] [DEPARTMENT=..]
	@$(RUN) grassroots token --role $(ROLE) $(if $(COUNTY),--county $(COUNTY)) $(if $(COMMUNITY),--community $(COMMUNITY)) $(if $(SUBJECT),--subject $(SUBJECT)) $(if $(DEPARTMENT),--department $(DEPARTMENT))

K8S ?= county
k8s: install ## print the Kubernetes manifests rendered (K8S=county|base); docs/kubernetes.md
	@$(RUN) grassroots k8s $(K8S)

bench: install ## the county mix at rising rates -> bench/results/e2e.{json,md,png}; docs/benchmarks.md
	$(RUN) grassroots stack up --demo-once
	$(RUN) grassroots bench e2e

bench-store: install ## write path, raw PG ceiling, relay and consumer figures -> bench/results/store.json
	$(RUN) grassroots stack up --no-demo
	$(RUN) grassroots bench store

bench-requests: install ## a request's life over HTTP (2,000 requests) -> bench/results/requests.json
	$(RUN) grassroots stack up
	$(RUN) grassroots bench requests

chaos: install ## faults under the county mix; nothing lost or doubled? -> bench/results/chaos.json (QUICK=1: minutes)
	$(RUN) grassroots stack up --demo-once
	$(RUN) grassroots chaos $(if $(QUICK),--quick)
CAPACITY_ARGS ?=
capacity: install ## province-scale events through the projections -> bench/results/capacity.json (docs/capacity.md)
	$(RUN) grassroots stack up --demo-once
	$(RUN) grassroots capacity simulate $(CAPACITY_ARGS)

clean: install ## stop the stack and delete its data (.run); keeps the Kafka jar cache (.cache)
	$(RUN) grassroots stack clean
