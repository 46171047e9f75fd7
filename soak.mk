# soak.mk: `make soak` runs the long versions of the harness scenarios
# (internal/harness/scenarios_test.go; minutes, not seconds) and prints the table:
# scenario, requests, faults injected, answered, lost, max RSS, wall time.
# The node processes are built without the race detector, and so is the
# harness here, so that the load is on the nodes. Included by the Makefile.
# Override the seed of every scenario with SOAK_FLAGS='-seed 42'.
GO ?= go
SOAK_TABLE ?= out/soak.md
SOAK_FLAGS ?=

.PHONY: soak

soak:
	@mkdir -p $(dir $(SOAK_TABLE))
	$(GO) test ./internal/harness -run . -count=1 -timeout 30m -soak -table $(abspath $(SOAK_TABLE)) $(SOAK_FLAGS)
	@echo "== soak table (also in $(SOAK_TABLE)) =="
	@cat $(SOAK_TABLE)
