# backoff-node. `make demo` runs a scripted session; `make test` runs every test.
GO ?= go
BIN := bin/backoff-node
BENCHSTAT := $(GO) run golang.org/x/perf/cmd/benchstat@v0.0.0-20260908200009-22c9c6c9d4da
BENCH_COUNT ?= 6

.PHONY: build demo test vet fuzz bench clean

build:
	$(GO) build -o $(BIN) .

demo: build
	@echo "== a scripted session: testdata/demo.jsonl piped into $(BIN); replies below, logs on stderr =="
	@$(BIN) < testdata/demo.jsonl

test:
	@test -z "$$(gofmt -l .)" || { echo "gofmt needed:"; gofmt -l .; exit 1; }
	$(GO) vet ./...
	$(GO) test -race -count=1 ./...

# Fuzz the node's line handling for a while (FUZZTIME=5m for longer).
FUZZTIME ?= 60s
fuzz:
	$(GO) test -run XXX -fuzz FuzzLine -fuzztime $(FUZZTIME) ./node

# Benchmarks: the delay computation, and echo throughput of this node against
# the maelstrom library's demo echo node on the same 200,000 requests.
bench: build
	@mkdir -p out
	$(GO) test -run XXX -bench Schedule -benchmem -count $(BENCH_COUNT) ./backoff | tee out/bench-backoff.txt
	$(BENCHSTAT) out/bench-backoff.txt
	$(GO) test -run XXX -bench EchoPipe -benchtime 1x -count $(BENCH_COUNT) . | tee out/bench-echo.txt
	$(BENCHSTAT) -col /node out/bench-echo.txt
	@awk '/^BenchmarkEchoPipe\/node=/ { split($$1, a, "[=-]"); n = ($$1 ~ /backoff-node/) ? "ours" : "demo"; s[n] += $$3; c[n]++ } \
	  END { if (c["ours"] && c["demo"]) printf "echo throughput: backoff-node is %.1fx faster than maelstrom-echo (mean of %d runs each)\n", (s["demo"]/c["demo"])/(s["ours"]/c["ours"]), c["ours"] }' out/bench-echo.txt

clean:
	rm -rf bin out
