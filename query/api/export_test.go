package api

import (
	"context"
	"time"
)

// SetWait replaces how a slows down guesses at an account: the tests
// record the delay rather than sleep it (TestSlowdown checks the delays
// themselves), so a test of the throttle does not spend seconds waiting.
func SetWait(a *API, f func(ctx context.Context, d time.Duration) error) { a.wait = f }
