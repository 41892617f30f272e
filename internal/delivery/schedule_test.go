package delivery

import (
	"testing"
	"time"

	"github.com/herald-webhooks/herald"
)

func TestNextDelay(t *testing.T) {
	p := herald.RetryPolicy{MaxAttempts: 10, InitialIntervalSeconds: 60, BackoffCoefficient: 2, MaxIntervalSeconds: 3600}
	tests := []struct {
		name       string
		policy     herald.RetryPolicy
		attempt    int
		retryAfter time.Duration
		want       time.Duration
	}{
		{"after the first attempt it is the initial interval", p, 1, 0, time.Minute},
		{"each attempt doubles it", p, 3, 0, 4 * time.Minute},
		{"the backoff stops at the maximum interval", p, 9, 0, time.Hour},
		{"a longer Retry-After wins over the backoff", p, 1, 10 * time.Minute, 10 * time.Minute},
		{"a shorter Retry-After does not shorten the backoff", p, 3, 30 * time.Second, 4 * time.Minute},
		{"a Retry-After beyond the maximum interval is cut to it", p, 1, 5 * time.Hour, time.Hour},
		{"without a maximum interval a Retry-After counts in full",
			herald.RetryPolicy{MaxAttempts: 3, InitialIntervalSeconds: 1, BackoffCoefficient: 2}, 1, 5 * time.Hour, 5 * time.Hour},
		{"fractional intervals are kept", herald.RetryPolicy{MaxAttempts: 3, InitialIntervalSeconds: 0.5, BackoffCoefficient: 1.5, MaxIntervalSeconds: 10},
			2, 0, 750 * time.Millisecond},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := NextDelay(tt.policy, tt.attempt, tt.retryAfter); got != tt.want {
				t.Fatalf("NextDelay(attempt %d, Retry-After %v) = %v, want %v", tt.attempt, tt.retryAfter, got, tt.want)
			}
		})
	}
}

func TestOutcomeNext(t *testing.T) {
	p := herald.RetryPolicy{MaxAttempts: 3, InitialIntervalSeconds: 10, BackoffCoefficient: 2, MaxIntervalSeconds: 600}
	started := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	failed := Outcome{Attempt: herald.Attempt{StartedAt: started, ErrorKind: KindHTTPStatus}}
	throttled := failed
	throttled.RetryAfter = 5 * time.Minute
	tests := []struct {
		name    string
		out     Outcome
		attempt int
		want    time.Duration // 0: no attempt follows
	}{
		{"a failure before the last attempt is retried after the backoff", failed, 1, 10 * time.Second},
		{"the second failure waits twice as long", failed, 2, 20 * time.Second},
		{"a Retry-After sets the wait", throttled, 1, 5 * time.Minute},
		{"the policy's last attempt has no next", failed, 3, 0},
		{"an attempt past the policy's last has no next", failed, 4, 0},
		{"a success has no next", Outcome{OK: true, Attempt: herald.Attempt{StartedAt: started}}, 1, 0},
		{"a 410 has no next", Outcome{Gone: true, Attempt: herald.Attempt{StartedAt: started, ErrorKind: KindGone}}, 1, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, at := tt.out.Next(p, tt.attempt)
			if d != tt.want {
				t.Fatalf("delay %v, want %v", d, tt.want)
			}
			switch {
			case tt.want == 0 && at != nil:
				t.Fatalf("next attempt at %v, want none", at)
			case tt.want != 0 && (at == nil || !at.Equal(started.Add(tt.want))):
				t.Fatalf("next attempt at %v, want %v", at, started.Add(tt.want))
			}
		})
	}
}

func TestWindow(t *testing.T) {
	attempt := herald.AttemptTimeout(30)
	t.Run("a delivery's window is its policy's schedule", func(t *testing.T) {
		p := herald.DefaultRetryPolicy
		if got, want := Window(p, 0, attempt), p.Schedule(0, attempt); got != want || got < 20*time.Hour {
			t.Fatalf("window %v, want %v", got, want)
		}
	})
	t.Run("the attempts already made leave their share out", func(t *testing.T) {
		p := herald.RetryPolicy{MaxAttempts: 3, InitialIntervalSeconds: 60, BackoffCoefficient: 1, MaxIntervalSeconds: 60}
		// Attempts 2 and 3 remain: two attempt timeouts and two intervals, and a minute to spare.
		if got, want := Window(p, 1, attempt), time.Minute+2*(attempt+time.Minute); got != want {
			t.Fatalf("window %v, want %v", got, want)
		}
	})
	t.Run("no window exceeds the maximum retry window", func(t *testing.T) {
		p := herald.RetryPolicy{MaxAttempts: 50, InitialIntervalSeconds: 86400, BackoffCoefficient: 1, MaxIntervalSeconds: 86400}
		if got := Window(p, 0, attempt); got != herald.MaxRetryWindow {
			t.Fatalf("window %v, want %v", got, herald.MaxRetryWindow)
		}
	})
}
