# backoff-node. `make demo` runs a scripted session; `make test` runs every test.
GO ?= go
BIN := bin/backoff-node
BENCHSTAT := $(GO) run golang.org/x/perf/cmd/benchstat@v0.0.0-20260908200009-22c9c6c9d4da
STATICCHECK := $(GO) run honnef.co/go/tools/cmd/staticcheck@v0.8.2
BENCH_COUNT ?= 6

.PHONY: build demo test golden vet fuzz bench clean

include lab.mk harness.mk

build:
	$(GO) build -o $(BIN) .

# The main job on built-in defaults: a scripted node session, then the lab's
# comparison of every strategy, with its charts written to out/lab.
demo: build lab-build
	@echo "== 1. the node: testdata/demo.jsonl piped into $(BIN); replies on stdout, logs on stderr =="
	@$(BIN) < testdata/demo.jsonl
	@echo
	@echo "== 2. the lab: 100 jobs fail at once; how each strategy spreads their retries =="
	@$(LAB_BIN) compare --seed $(LAB_SEED)
	@$(LAB_BIN) plot --seed $(LAB_SEED) --out $(LAB_OUT)
	@echo "open $(LAB_OUT)/retries.png and $(LAB_OUT)/windows.png to see it"

# backoff/ is its own module, which ./... at the root does not enter, so
# each step runs there too.
test:
	@test -z "$$(gofmt -l .)" || { echo "gofmt needed:"; gofmt -l .; exit 1; }
	$(GO) vet ./...
	cd backoff && $(GO) vet ./...
	$(STATICCHECK) ./...
	cd backoff && $(STATICCHECK) ./...
	$(GO) test -race -count=1 ./...
	cd backoff && $(GO) test -race -count=1 ./...

# Rewrite every golden file (transcripts, schedules, the lab's docs tables,
# the reference sessions) with what the code now writes; review the diff.
# Every test binary reads UPDATE_GOLDEN (internal/golden), so one run from
# the root reaches them all.
golden:
	UPDATE_GOLDEN=1 $(GO) test -count=1 ./...

# Fuzz the node's line handling for a while (FUZZTIME=5m for longer).
FUZZTIME ?= 60s
fuzz:
	$(GO) test -run XXX -fuzz FuzzLine -fuzztime $(FUZZTIME) ./node

# Benchmarks: the delay computation; the node's echo and compute_backoff
# against minimal encoding/json programs (in-process, and as processes on
# one core by CPU time); echo throughput of this node
# against the maelstrom library's demo echo node on the same 200,000
# requests; a burst of 30,000 and of 100,000 relays (docs/performance.md).
bench: build
	@mkdir -p out
	cd backoff && $(GO) test -run XXX -bench 'Schedule|FillDraws' -benchmem -count $(BENCH_COUNT) . | tee ../out/bench-backoff.txt
	$(BENCHSTAT) -filter .name:Schedule out/bench-backoff.txt
	$(BENCHSTAT) -filter .name:FillDraws -col /draw out/bench-backoff.txt
	$(GO) test -run XXX -bench 'Echo$$|Compute' -benchmem -count $(BENCH_COUNT) ./handlers | tee out/bench-handlers.txt
	$(BENCHSTAT) -col /impl out/bench-handlers.txt
	$(GO) test -run XXX -bench Process -count $(BENCH_COUNT) ./handlers | tee out/bench-process.txt
	$(BENCHSTAT) -col /impl out/bench-process.txt
	$(GO) test -run XXX -bench Burst -benchtime 1x -count 3 ./internal/harness | tee out/bench-burst.txt
	$(BENCHSTAT) -col /relays out/bench-burst.txt
	$(GO) test -run XXX -bench EchoPipe -benchtime 1x -count $(BENCH_COUNT) ./internal/harness | tee out/bench-echo.txt
	$(BENCHSTAT) -col /node out/bench-echo.txt
	@awk '/^BenchmarkEchoPipe\/node=/ { split($$1, a, "[=-]"); n = ($$1 ~ /backoff-node/) ? "ours" : "demo"; s[n] += $$3; c[n]++ } \
	  END { if (c["ours"] && c["demo"]) printf "echo throughput: backoff-node is %.1fx faster than maelstrom-echo (mean of %d runs each)\n", (s["demo"]/c["demo"])/(s["ours"]/c["ours"]), c["ours"] }' out/bench-echo.txt

clean:
	rm -rf bin out
