package backoff_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/backoff-node/backoff-node/backoff"
)

// budget is shared by every call to the service, so that when it is down
// retries add at most a fifth to the load (plus a floor of 10 a second),
// whatever the number of callers.
var budget = backoff.NewBudget(backoff.DefaultBudgetRatio, backoff.DefaultBudgetMinPerSecond, backoff.DefaultBudgetWindow)

// getText is one attempt: a GET whose reply decides what Retry does next.
func getText(ctx context.Context, url string) (string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return "", backoff.Permanent(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return "", err // a reset, a refused connection, the attempt's timeout: retry
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	switch {
	case err != nil:
		return "", err
	case resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode == http.StatusServiceUnavailable:
		err := fmt.Errorf("%s", resp.Status)
		if s, perr := strconv.Atoi(resp.Header.Get("Retry-After")); perr == nil {
			return "", backoff.RetryAfter(err, time.Duration(s)*time.Second) // no sooner than the server asks
		}
		return "", err
	case resp.StatusCode >= 500:
		return "", fmt.Errorf("%s", resp.Status)
	case resp.StatusCode >= 400:
		return "", backoff.Permanent(fmt.Errorf("%s", resp.Status)) // retrying will not help
	}
	return string(body), nil
}

// An HTTP client: a 4xx is permanent, a 429 or 503 waits its Retry-After,
// each attempt has a timeout, and one budget bounds the retries of every
// call. The service here hangs on the first request, then answers 503, then
// 429 with Retry-After: 1, then the text; /missing is a 404. No seed is
// given: the delays vary from run to run, and the output does not show
// them.
func ExampleRetry() {
	var requests atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/missing" {
			http.NotFound(w, r)
			return
		}
		switch requests.Add(1) {
		case 1:
			<-r.Context().Done() // a reply that never comes
		case 2:
			w.WriteHeader(http.StatusServiceUnavailable)
		case 3:
			w.Header().Set("Retry-After", "1")
			w.WriteHeader(http.StatusTooManyRequests)
		default:
			fmt.Fprint(w, "hello")
		}
	}))
	defer srv.Close()

	ctx := context.Background()
	opts := []backoff.Option{
		backoff.WithAttemptTimeout(200 * time.Millisecond),
		backoff.WithMaxRetries(4),
		backoff.WithControl(budget),
		backoff.WithNotify(func(e backoff.RetryEvent) {
			fmt.Printf("attempt %d failed (timeout: %v)\n", e.Attempt, errors.Is(e.Err, backoff.ErrAttemptTimeout))
		}),
	}
	text, err := backoff.Retry(ctx, func(ctx context.Context) (string, error) { return getText(ctx, srv.URL) }, opts...)
	fmt.Printf("%q %v\n", text, err)

	_, err = backoff.Retry(ctx, func(ctx context.Context) (string, error) { return getText(ctx, srv.URL+"/missing") }, opts...)
	var re *backoff.RetryError
	if errors.As(err, &re) {
		fmt.Println(re.Reason, "after", re.Attempts, "attempt:", re.Last)
	}
	// Output:
	// attempt 1 failed (timeout: true)
	// attempt 2 failed (timeout: false)
	// attempt 3 failed (timeout: false)
	// "hello" <nil>
	// permanent error after 1 attempt: 404 Not Found
}
