# The backoff lab (cmd/backoff-lab; README, "The backoff lab"). Include it from the
# Makefile: `include lab.mk`. It uses GO from there (or `go`).
#
#   make lab             comparison table on the terminal; charts and CSV in $(LAB_OUT)
#   make lab-contention  AWS's contention experiment, reproduced, then staggered
#   make lab-docs        regenerate docs/img/lab/* and the tables in docs/lab/
#   make lab-bench       the 10,000 jobs × 20 retries benchmark, all strategies;
#                        each default experiment of the command
#   make lab-overload    overload and recovery: every scenario under every policy,
#                        charts in $(LAB_OUT)
#   make lab-findings    the overload findings' tests on all their seeds, and every
#                        pinned docs table (no race)
#   make lab-recheck     the same tests on seeds 6..10, which they were not tuned on
#   make lab-errors      success and attempts a request against the error rate
#   make lab-fleet       storm recovery against the number of clients, then with
#                        the server's defences
GO ?= go
LAB_BIN ?= bin/backoff-lab
LAB_OUT ?= out/lab
LAB_SEED ?= 1
LAB_DOCS ?= docs

.PHONY: lab lab-build lab-contention lab-docs lab-bench lab-overload lab-findings lab-recheck lab-errors lab-fleet

lab-build:
	$(GO) build -o $(LAB_BIN) ./cmd/backoff-lab

lab: lab-build
	@$(LAB_BIN) compare --seed $(LAB_SEED)
	@$(LAB_BIN) compare --seed $(LAB_SEED) --format csv --out $(LAB_OUT)
	@$(LAB_BIN) plot --seed $(LAB_SEED) --out $(LAB_OUT)

lab-contention: lab-build
	@$(LAB_BIN) contention --seed $(LAB_SEED)

lab-docs: lab-build
	@$(LAB_BIN) plot --seed $(LAB_SEED) --out $(LAB_DOCS)/img/lab
	@$(LAB_BIN) compare --seed $(LAB_SEED) --out $(LAB_DOCS)/lab
	@$(LAB_BIN) contention --seed $(LAB_SEED) --out $(LAB_DOCS)/lab 2>/dev/null
	@$(LAB_BIN) overload --seed $(LAB_SEED) --charts $(LAB_DOCS)/img/lab --out $(LAB_DOCS)/lab
	@# Finding (a) where the spike leaves nothing metastable: 20/s, a full queue drops.
	@$(LAB_BIN) overload --seed $(LAB_SEED) --scenario spike --normal 20 --drop \
		--charts $(LAB_DOCS)/img/lab/spike-drop --out $(LAB_DOCS)/lab/spike-drop
	@# Finding (a) reproduced: clients that retry until a deadline, at 20/s.
	@$(LAB_BIN) overload --seed $(LAB_SEED) --scenario spike --normal 20 --deadline 10 --rtt 0.02 \
		--charts $(LAB_DOCS)/img/lab/spike-deadline --out $(LAB_DOCS)/lab/spike-deadline
	@$(LAB_BIN) errors --seed $(LAB_SEED) --charts $(LAB_DOCS)/img/lab --out $(LAB_DOCS)/lab
	@$(LAB_BIN) fleet --seed $(LAB_SEED) --charts $(LAB_DOCS)/img/lab --out $(LAB_DOCS)/lab
	@$(LAB_BIN) fleet --seed $(LAB_SEED) --queue 100 --drop-stale --lifo \
		--charts $(LAB_DOCS)/img/lab/fleet-defences --out $(LAB_DOCS)/lab/fleet-defences

lab-errors: lab-build
	@$(LAB_BIN) errors --seed $(LAB_SEED) --charts $(LAB_OUT)

lab-fleet: lab-build
	@$(LAB_BIN) fleet --seed $(LAB_SEED) --charts $(LAB_OUT)
	@$(LAB_BIN) fleet --seed $(LAB_SEED) --queue 100 --drop-stale --lifo --charts $(LAB_OUT)/fleet-defences

lab-overload: lab-build
	@$(LAB_BIN) overload --seed $(LAB_SEED) --charts $(LAB_OUT)

lab-findings:
	$(GO) test -count=1 -run 'Overload|Recovery' ./herdsim
	$(GO) test -count=1 -run 'DocsTables|Deadline' ./cmd/backoff-lab

lab-recheck:
	$(GO) test -count=1 -run 'Overload|Recovery' ./herdsim -recheck

lab-bench:
	$(GO) test -run XXX -bench 'Herd10kx20|Contend100|Overload' -benchmem ./herdsim
	$(GO) test -run XXX -bench Experiments -benchtime 3x -benchmem ./cmd/backoff-lab
