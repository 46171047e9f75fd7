module github.com/backoff-node/backoff-node/backoff

go 1.26
