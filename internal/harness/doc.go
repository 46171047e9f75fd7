// Package harness is a small Maelstrom-like network for tests: it runs real
// node processes, routes the lines they write by dest, checks every line the
// way Maelstrom's network would, and injects faults, all from one seed.
//
// Real Maelstrom needs a JVM and libraries these machines cannot download;
// this package does the part of it the project's tests need:
//
//   - A [Network] starts node processes from built binaries ([Build] builds
//     the backoff node and the maelstrom library's demo echo node), sends each
//     an init from client c0 and waits up to 10 s for its init_ok.
//   - Every line a node writes must be a JSON object with exactly the keys
//     src, dest and body; src must be the node's own id, dest a node, a
//     service or a registered client, body an object with a string type and
//     integer msg_id and in_reply_to where present. A line that breaks this
//     fails the test, as Maelstrom would reject it. For a [Program] marked
//     Strict the network also checks the wire contract's msg_id rule: every
//     body carries one, 0, 1, 2, ... per process, init_ok first.
//   - Messages between nodes (processes and in-process [Service] peers) are
//     subject to [Config]'s faults: loss with a probability, latency drawn
//     from a [Latency] distribution, and [Partition]s that start and heal on a
//     schedule. Messages between clients and nodes are never faulted, so a
//     lost request always means a node lost it.
//   - Each sender draws its faults from its own *rand.Rand seeded from
//     Config.Seed and its id: the k-th message a node sends meets the same
//     fate in every run with the same seed.
//   - A [Client] sends requests with its own msg_ids and matches replies by
//     in_reply_to; a second reply to one request, or a reply to nothing,
//     fails the test.
//
// Every process, goroutine and timer the network starts is stopped by the
// cleanup it registers with the test; processes stopped by the cleanup must
// exit with status 0. Setting a network up (New, AddNode, AddService,
// Start) and Process's Restart and Goroutines may stop the test, and so
// belong on the test's goroutine; a Client and everything else report
// problems with t.Errorf and may be used from any goroutine.
package harness
