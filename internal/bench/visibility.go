package bench

import (
	"bufio"
	"context"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// visibilityCounts are the visibility tasks the embedded server has processed, by kind.
type visibilityCounts struct{ start, upsert, close float64 }

func (a visibilityCounts) minus(b visibilityCounts) visibilityCounts {
	return visibilityCounts{a.start - b.start, a.upsert - b.upsert, a.close - b.close}
}

// readVisibilityCounts sums the server's task_requests counters of the visibility task kinds.
func readVisibilityCounts(ctx context.Context, url string) (visibilityCounts, error) {
	var c visibilityCounts
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return c, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return c, err
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, "task_requests{") {
			continue
		}
		sp := strings.LastIndexByte(line, ' ')
		v, err := strconv.ParseFloat(line[sp+1:], 64)
		if err != nil {
			continue
		}
		switch labels := line[:sp]; {
		case strings.Contains(labels, `"VisibilityTaskStartExecution"`):
			c.start += v
		case strings.Contains(labels, `"VisibilityTaskUpsertExecution"`):
			c.upsert += v
		case strings.Contains(labels, `"VisibilityTaskCloseExecution"`):
			c.close += v
		}
	}
	return c, sc.Err()
}

// settledVisibilityCounts reads the counts once they have not moved for a second (the
// visibility queue trails the workflows it records), for at most 15 seconds.
func settledVisibilityCounts(ctx context.Context, url string) visibilityCounts {
	last, _ := readVisibilityCounts(ctx, url)
	stable := time.Now()
	for deadline := time.Now().Add(15 * time.Second); time.Now().Before(deadline) && time.Since(stable) < time.Second; {
		select {
		case <-ctx.Done():
			return last
		case <-time.After(200 * time.Millisecond):
		}
		c, err := readVisibilityCounts(ctx, url)
		if err != nil {
			continue
		}
		if c != last {
			last, stable = c, time.Now()
		}
	}
	return last
}
