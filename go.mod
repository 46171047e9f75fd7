module github.com/backoff-node/backoff-node

go 1.26

require (
	github.com/google/go-cmp v0.7.0 // indirect
	github.com/jepsen-io/maelstrom/demo/go v0.0.0-20251128144731-cb7f07239012 // indirect
)
