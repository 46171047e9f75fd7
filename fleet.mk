# fleet.mk: `make fleet` runs the fleet experiment (issue 16; docs/fleet.md):
# K = 1, 5, 25 node processes relaying to one capacity-limited target
# (internal/harness/target.go) through a storm and a sustained overload,
# under each retry control, next to what the lab's model (herdsim) predicts
# for the same parameters; it prints the table and writes it to FLEET_TABLE.
# A few minutes. Built without the race detector, as `make soak` is.
# Included by the Makefile. Another seed: FLEET_FLAGS='-seed 42'.
GO ?= go
FLEET_TABLE ?= out/fleet.md
FLEET_FLAGS ?=

.PHONY: fleet

fleet:
	@mkdir -p $(dir $(FLEET_TABLE))
	$(GO) test ./internal/harness -run '^TestFleet$$' -count=1 -timeout 20m -parallel 16 -fleet -fleet-table $(abspath $(FLEET_TABLE)) $(FLEET_FLAGS)
	@echo "== fleet table (also in $(FLEET_TABLE)) =="
	@cat $(FLEET_TABLE)
