package catalog

// Constants of an Anchored schedule.
const (
	// AnchoredGrowth is how much wider each window is than the one before,
	// until the cap: three, the factor of decorrelated jitter. Against
	// doubling it skips the rounds in which a crowd of clients is sure to
	// collide, so it saves calls.
	AnchoredGrowth = 3
	// AnchoredStart is where window k starts, as a fraction of the total
	// width of windows 0..k−1. Once the windows are capped this is how far
	// the window moves on per retry (Max/4), so stragglers keep coming back
	// instead of leaving the tail idle.
	AnchoredStart = 0.25
)

// Anchored is this project's strategy for contention: every retry is
// anchored to a window fixed in time since the first failure, not to the
// time of the retry before, and the clients' places in their windows are
// spread evenly and turned by the golden ratio each retry.
//
//	I_k = min(Max, Base · 3^k)             the width of window k
//	W_k = I_0 + ... + I_{k−1}               the earlier windows together
//	u_k = Phase(key + k)                    = frac(Phase(key) + k · 0.618...)
//	T_k = W_k/4 + u_k · I_k                 when retry k is due
//	d_k = min(Max, max(0, T_k − R_{k−1}))   R_k = d_0 + ... + d_k, R_{−1} = 0
//
// Retry k is due at phase u_k of window k, [W_k/4, W_k/4 + I_k). The delay
// is the time left until then from the previous retry, R_{k−1}; if that
// time has passed, the retry follows at once (d_k = 0), and no delay is
// longer than Max. Either way retry k falls inside window k (a test checks
// it), so a client's lateness never accumulates.
//
// Why: under contention (AWS's experiment, in which clients race to
// update one record by read, compare and write) a write fails
// when another client commits during its read-to-write round trip, so at
// best one client commits per round trip and every other call made in the
// meantime is wasted. Full jitter sums an independent draw per retry, so
// its clients drift apart as a random walk: a few fall far behind and the
// last of them sets the finish time, with the row idle meanwhile. Anchoring
// removes the drift; the three-fold windows waste fewer calls in the early
// rounds, when nearly everyone collides; and Weyl phases keep the
// retries due in any window evenly spread for clients with consecutive keys
// (the three-gap theorem, as for [Staggered]), where random draws clump.
// Because u_k = Phase(key + k), the clients keyed k0..k0+N−1 are due at
// retry k at the phases of the N consecutive keys k0+k..k0+k+N−1.
//
// Give it the job's id as the key; with random keys the phases are random.
//
// With Base 1 s and Max 8 s the windows are [0, 1), [0.25, 3.25), [1, 9),
// [3, 11), [5, 13), ...: from the third on they are capped at 8 s wide and
// move on by 2 s a retry, so at the cap a client retries every Max/4 on
// average (full jitter: every Max/2), some of the time at once. Key 0 and
// key 1 wait:
//
//	k          0       1       2       3       4
//	key 0      0       2.104   0.784   6.944   0
//	key 1      0.618   0.340   6.875   0       0
type Anchored struct {
	Base float64 // seconds, the width of the first window
	Max  float64 // seconds, cap on a window's width and on any delay
}

// Window returns the start W_k/4 and the width I_k of window k.
func (a Anchored) Window(k int) (start, width float64) { return a.windows().window(k) }

// windows is a's schedule.
func (a Anchored) windows() windows { return windows{a.Base, a.Max, AnchoredGrowth, AnchoredStart} }

// Delay implements backoff.Strategy: anchored's state is the time already
// waited, which the caller passes in as elapsed.
func (a Anchored) Delay(k int, key uint64, _, elapsed float64) float64 {
	return a.windows().delayAt(k, Phase(key+uint64(k)), elapsed)
}
