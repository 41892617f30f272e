package delivery

import (
	"time"

	"github.com/herald-webhooks/herald"
)

// NextDelay is the wait after the given failed attempt (1-based): the policy's backoff, or the
// endpoint's Retry-After when longer, never more than the policy's maximum interval.
func NextDelay(p herald.RetryPolicy, attempt int, retryAfter time.Duration) time.Duration {
	d := p.NextInterval(attempt)
	if retryAfter > d {
		d = retryAfter
	}
	if max := time.Duration(p.MaxIntervalSeconds * float64(time.Second)); max > 0 && d > max {
		d = max
	}
	return d
}

// Next is when the attempt after this one, the attempt-th of its delivery under p, is due: the
// wait (NextDelay) and the time from this attempt's start. It is 0 and nil when none follows:
// after a success, a 410, or the policy's last attempt.
func (o Outcome) Next(p herald.RetryPolicy, attempt int) (time.Duration, *time.Time) {
	if o.OK || o.Gone || attempt >= p.MaxAttempts {
		return 0, nil
	}
	d := NextDelay(p, attempt, o.RetryAfter)
	at := o.Attempt.StartedAt.Add(d)
	return d, &at
}

// Window is how long the attempts after the first offset may take in all, each attempt taking
// at most attemptTimeout (herald.AttemptTimeout): the policy's schedule, bounded by
// herald.MaxRetryWindow, which webhooks' policies are checked against.
func Window(p herald.RetryPolicy, offset int, attemptTimeout time.Duration) time.Duration {
	return min(p.Schedule(offset, attemptTimeout), herald.MaxRetryWindow)
}
