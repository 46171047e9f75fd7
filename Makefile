# backoff-node. `make demo` runs a scripted session; `make test` runs every test.
GO ?= go
BIN := bin/backoff-node

.PHONY: build demo test vet bench clean

build:
	$(GO) build -o $(BIN) .

demo: build
	@echo "== a scripted session: requests from testdata/demo.jsonl, replies below (logs on stderr) =="
	@$(BIN) < testdata/demo.jsonl

test:
	@test -z "$$(gofmt -l .)" || { echo "gofmt needed:"; gofmt -l .; exit 1; }
	$(GO) vet ./...
	$(GO) test -race -count=1 ./...

clean:
	rm -rf bin out
