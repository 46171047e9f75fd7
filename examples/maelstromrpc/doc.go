// Package maelstromrpc holds a runnable example, and nothing else: a node
// written with the maelstrom library retrying an RPC with backoff.Retry.
// It lives in the main module, not in package backoff, because it imports
// the maelstrom library, which a user of backoff should not have to
// download.
package maelstromrpc
