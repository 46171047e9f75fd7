module github.com/backoff-node/backoff-node

go 1.26.8
