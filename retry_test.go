package herald

import (
	"strings"
	"testing"
	"time"
)

// TestRetryScheduleFitsTheDeliveryWindow: policies of up to 50 attempts a day apart passed
// validation, and their deliveries were cut at the 6-day window without a word.
func TestRetryScheduleFitsTheDeliveryWindow(t *testing.T) {
	t.Run("the default policy fits, with the longest timeout", func(t *testing.T) {
		if d := DefaultRetryPolicy.ValidateSchedule("retry", 60); d != nil {
			t.Fatal(d)
		}
		if s := DefaultRetryPolicy.Schedule(0, AttemptTimeout(60)); s < 24*time.Hour || s > 26*time.Hour {
			t.Errorf("default schedule %v, want about a day", s)
		}
	})
	t.Run("the longest valid policy does not, and the refusal names the bound", func(t *testing.T) {
		p := RetryPolicy{MaxAttempts: 50, InitialIntervalSeconds: 86400, BackoffCoefficient: 1, MaxIntervalSeconds: 86400}
		if d := p.Validate("retry."); d != nil {
			t.Fatalf("valid on its own: %v", d)
		}
		d := p.ValidateSchedule("retry", 30)
		if len(d) != 1 || d[0].Field != "retry" || !strings.Contains(d[0].Message, "144h0m0s") {
			t.Fatalf("got %+v, want one detail on retry naming 144h0m0s", d)
		}
	})
	t.Run("the timeout counts", func(t *testing.T) {
		// 50 attempts 10,300 s apart: 6 days less 30 min with 1 s timeouts, 6 days and 20 min with 60 s.
		p := RetryPolicy{MaxAttempts: 50, InitialIntervalSeconds: 10300, BackoffCoefficient: 1, MaxIntervalSeconds: 10300}
		if d := p.ValidateSchedule("retry", 1); d != nil {
			t.Errorf("with 1 s timeouts: %v", d)
		}
		if d := p.ValidateSchedule("retry", 60); d == nil {
			t.Error("with 60 s timeouts: accepted")
		}
	})
	t.Run("the schedule is every attempt's timeout and the interval after it, and a minute", func(t *testing.T) {
		p := RetryPolicy{MaxAttempts: 3, InitialIntervalSeconds: 10, BackoffCoefficient: 2, MaxIntervalSeconds: 15}
		at := AttemptTimeout(5) // 35 s
		if got, want := p.Schedule(0, at), time.Minute+3*at+(10+15+15)*time.Second; got != want {
			t.Errorf("Schedule(0) = %v, want %v", got, want)
		}
		if got, want := p.Schedule(1, at), time.Minute+2*at+(15+15)*time.Second; got != want {
			t.Errorf("Schedule(1) = %v, want %v", got, want)
		}
	})
}
