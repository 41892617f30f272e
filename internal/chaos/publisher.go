package chaos

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// phase of a scenario, for the counts of API answers.
type phase int

const (
	before phase = iota // before the fault
	during              // from the kill until the component is ready again
	after               // after the restart
)

// publisher publishes one scenario's events over REST at a steady rate, the way a backend
// should: an event refused with 503 or 429, or whose answer was lost (a connection refused or
// reset), is published again with the same id and body until it gets a 202 or the retry
// deadline passes. Every answer is counted by status and phase.
type publisher struct {
	apiURL, key, userID, eventType string
	hc                             *http.Client

	mu       sync.Mutex
	phase    phase
	answers  [3]map[string]int
	slowest  [3]time.Duration // the longest wait for an answer, by phase
	accepted map[string]bool
	refused  map[string]string // event id -> last answer, for events that never got a 202
	tried    int
}

func newPublisher(apiURL, key, userID, eventType string) *publisher {
	p := &publisher{apiURL: apiURL, key: key, userID: userID, eventType: eventType,
		hc: &http.Client{Timeout: 30 * time.Second}, accepted: map[string]bool{}, refused: map[string]string{}}
	for i := range p.answers {
		p.answers[i] = map[string]int{}
	}
	return p
}

func (p *publisher) setPhase(ph phase) {
	p.mu.Lock()
	p.phase = ph
	p.mu.Unlock()
}

// run publishes ids prefix+0, prefix+1, ... at rate per second until stop is closed or max
// events are out (max 0: no limit), then waits for their retries, which stop at retryUntil.
func (p *publisher) run(ctx context.Context, prefix string, rate float64, max int, stop <-chan struct{}, retryUntil func() time.Time) {
	var wg sync.WaitGroup
	interval := time.Duration(float64(time.Second) / rate)
	t0 := time.Now()
	for i := 0; max == 0 || i < max; i++ {
		select {
		case <-stop:
			wg.Wait()
			return
		case <-ctx.Done():
			wg.Wait()
			return
		case <-time.After(time.Until(t0.Add(time.Duration(i) * interval))):
		}
		id := prefix + strconv.Itoa(i)
		wg.Go(func() { p.publish(ctx, id, retryUntil) })
	}
	wg.Wait()
}

func (p *publisher) publish(ctx context.Context, id string, retryUntil func() time.Time) {
	p.mu.Lock()
	p.tried++
	p.mu.Unlock()
	body, _ := json.Marshal(map[string]any{"id": id, "event": p.eventType, "user_id": p.userID,
		"data": map[string]any{"sent_at": time.Now().UTC().Format(time.RFC3339Nano)}})
	for {
		p.mu.Lock()
		ph := p.phase // an answer counts in the phase its request was sent in
		p.mu.Unlock()
		t := time.Now()
		answer := p.post(ctx, body)
		took := time.Since(t)
		p.mu.Lock()
		p.answers[ph][answer]++
		p.slowest[ph] = max(p.slowest[ph], took)
		p.mu.Unlock()
		if answer == "202" {
			p.mu.Lock()
			p.accepted[id] = true
			delete(p.refused, id)
			p.mu.Unlock()
			return
		}
		p.mu.Lock()
		p.refused[id] = answer
		p.mu.Unlock()
		if !retryable(answer) || time.Now().After(retryUntil()) || ctx.Err() != nil {
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(time.Second):
		}
	}
}

// retryable answers are the ones a publisher should try again: the service is unavailable,
// or the answer never came.
func retryable(answer string) bool {
	return answer == "503" || answer == "429" || answer == answerConnError
}

// answerConnError counts requests that got no HTTP answer (refused, reset, timed out).
const answerConnError = "no answer"

func (p *publisher) post(ctx context.Context, body []byte) string {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, p.apiURL+"/api/v1/events", bytes.NewReader(body))
	if err != nil {
		return answerConnError
	}
	req.Header.Set("Authorization", "Bearer "+p.key)
	req.Header.Set("Content-Type", "application/json")
	resp, err := p.hc.Do(req)
	if err != nil {
		return answerConnError
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	return strconv.Itoa(resp.StatusCode)
}

// slowestAnswer is the longest a publish waited for its answer in a phase.
func (p *publisher) slowestAnswer(ph phase) time.Duration {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.slowest[ph]
}

// snapshot copies the counts.
func (p *publisher) snapshot() (tried int, accepted map[string]bool, refused map[string]string, answers [3]map[string]int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	accepted = make(map[string]bool, len(p.accepted))
	for k := range p.accepted {
		accepted[k] = true
	}
	refused = make(map[string]string, len(p.refused))
	for k, v := range p.refused {
		refused[k] = v
	}
	for i, m := range p.answers {
		answers[i] = map[string]int{}
		for k, v := range m {
			answers[i][k] = v
		}
	}
	return p.tried, accepted, refused, answers
}

// apiCall is one JSON call of the set-up, which must answer want.
func apiCall(ctx context.Context, apiURL, key, method, path string, in any, want int, out any) error {
	b, err := json.Marshal(in)
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, method, apiURL+"/api/v1"+path, bytes.NewReader(b))
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+key)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("%s %s: %w", method, path, err)
	}
	defer resp.Body.Close()
	answer, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != want {
		return fmt.Errorf("%s %s: %d %s", method, path, resp.StatusCode, answer)
	}
	if out != nil {
		return json.Unmarshal(answer, out)
	}
	return nil
}
