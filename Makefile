# vaultgate — see README.md. Every target works on a fresh clone.
SHELL := /bin/bash
.DEFAULT_GOAL := build
export GOTOOLCHAIN ?= local

.PHONY: install build test test-unit dev certs bench bench-reconcile bench-dryrun clean servers

node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund
	@touch $@

## install: npm dependencies and the real test servers (etcd, kube-apiserver, kube-controller-manager, kubectl, OpenBao)
install: node_modules/.package-lock.json servers

## servers: build the server binaries from the Go module proxy (cached under .cache/testbin)
servers:
	test/env/build.sh

## build: compile TypeScript into dist/
build: node_modules/.package-lock.json
	npx tsc -p tsconfig.json

## test: the whole suite, unit and integration, against the real stack
test: install build
	npx tap dist/test/unit dist/test/integration

## test-unit: only the tests that need no servers
test-unit: build
	npx tap dist/test/unit

## dev: the local stack plus the real `vaultgate serve` process in the foreground; writes .dev/env; Ctrl-C stops everything
dev: install build
	node dist/test/env/dev.js

## certs: a local CA and serving certificate in certs/ (make dev then mounts them); RENEW=1 reissues the serving certificate
certs: build
	node dist/test/env/certs.js $(if $(RENEW),--renew)

## bench: admission benchmarks (test/bench)
bench: install build
	node dist/test/bench/admission.bench.js

## bench-reconcile: sync from cold (vaultgate against ESO) and admission through the apiserver
bench-reconcile: install build
	node dist/test/bench/reconcile.bench.js

## bench-dryrun: dry-run verdicts per second for a 1,000-object file; results in .cache/bench/dryrun.json
bench-dryrun: install build
	node dist/test/bench/dryrun.bench.js

clean:
	rm -rf dist .tap
