# harness.mk: the long runs of the real-process harness (internal/harness),
# each printing its table and writing it to a file. Both build the harness
# and the node processes without the race detector, so that the load is on
# the nodes. Included by the Makefile.
#
# `make soak` runs the long versions of the harness scenarios
# (internal/harness/scenarios_test.go; minutes, not seconds) and prints the table:
# scenario, requests, faults injected, answered, lost, max RSS, wall time.
# Override the seed of every scenario with SOAK_FLAGS='-seed 42'.
#
# `make fleet` runs the fleet experiment (issue 16; docs/fleet.md):
# K = 1, 5, 25 node processes relaying to one capacity-limited target
# (internal/harness/target.go) through a storm and a sustained overload,
# under each retry control, next to what the lab's model (herdsim) predicts
# for the same parameters; it prints the table and writes it to FLEET_TABLE.
# A few minutes. Another seed: FLEET_FLAGS='-seed 42'.
GO ?= go
SOAK_TABLE ?= out/soak.md
SOAK_FLAGS ?=
FLEET_TABLE ?= out/fleet.md
FLEET_FLAGS ?=

.PHONY: soak fleet

# harness_table runs `go test` on the harness with the flags $(2), which
# must make it write the table $(1), and then prints that table, named $(3).
define harness_table
@mkdir -p $(dir $(1))
$(GO) test ./internal/harness $(2)
@echo "== $(3) table (also in $(1)) =="
@cat $(1)
endef

soak:
	$(call harness_table,$(SOAK_TABLE),-run . -count=1 -timeout 30m -soak -table $(abspath $(SOAK_TABLE)) $(SOAK_FLAGS),soak)

fleet:
	$(call harness_table,$(FLEET_TABLE),-run '^TestFleet$$' -count=1 -timeout 20m -parallel 16 -fleet -fleet-table $(abspath $(FLEET_TABLE)) $(FLEET_FLAGS),fleet)
