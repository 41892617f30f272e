package bench

import (
	"encoding/json"
	"fmt"
	"io"
	"text/tabwriter"
)

// WriteTable writes the human summary of a run.
func (r *Result) WriteTable(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	mode := "closed loop"
	if r.Rate > 0 {
		mode = fmt.Sprintf("paced at %g events/s", r.Rate)
	}
	pg := "n/a (external)"
	if r.CPUPostgresPer1k != nil {
		pg = fmt.Sprintf("%.3f", *r.CPUPostgresPer1k)
	}
	rows := [][2]string{
		{"run", fmt.Sprintf("%d events x fan-out %d via %s, %s, concurrency %d", r.Events, r.Fanout, r.Via, mode, r.Concurrency)},
		{"temporal", r.Temporal},
		{"deliveries", fmt.Sprintf("%d (lost %d, duplicates %d, publish errors %d)", r.Deliveries, r.Lost, r.Duplicates, r.PublishErrors)},
		{"signatures", fmt.Sprintf("%d verified, %d bad", r.SignaturesVerified, r.BadSignatures)},
		{"deliveries/s", fmt.Sprintf("%.1f (%.1f events/s over %.2f s, first publish to last delivery)", r.DeliveriesPerS, r.EventsPerS, r.ElapsedS)},
		{"engine floor", fmt.Sprintf("%.1f workflows/s, %.1f ms CPU each (%d bare workflows, 1 no-op activity each, before the Herald phase)", r.FloorWfPerS, r.FloorCPUms, r.FloorWorkflows)},
		{"floor latency", fmt.Sprintf("%.1f ms from start to activity, one bare workflow at a time (median of %d)", r.FloorLatencyms, floorLatencyRuns)},
		{"floor ratio", fmt.Sprintf("%.3f (deliveries/s / floor)", r.FloorRatio)},
		{"publish latency", fmt.Sprintf("p50 %.1f ms, p99 %.1f ms", r.PublishP50ms, r.PublishP99ms)},
		{"publish to receive", fmt.Sprintf("p50 %.1f ms, p90 %.1f ms, p99 %.1f ms, max %.1f ms", r.E2EP50ms, r.E2EP90ms, r.E2EP99ms, r.E2EMaxms)},
		{"history events", fmt.Sprintf("%.2f per delivery (%d sample events; %d workflow task timeouts or failures)", r.HistoryEventsPerDelivery, r.HistorySampleEvents, r.WorkflowTaskStalls)},
		{"visibility writes", fmt.Sprintf("%.2f per delivery (start %.2f, upsert %.2f, close %.2f)", r.VisibilityWritesPerDelivery,
			r.VisibilityStartsPerDelivery, r.VisibilityUpsertsPerDelivery, r.VisibilityClosesPerDelivery)},
		{"CPU s / 1k deliveries", fmt.Sprintf("herald %.3f, temporal %.3f, postgres %s, load generator %.3f (process total %.3f)",
			r.CPUHeraldPer1k, r.CPUTemporalPer1k, pg, r.CPUBenchPer1k, r.CPUProcessPer1k)},
	}
	if r.OutageS > 0 {
		rows = append(rows, [2]string{"receiver outage", fmt.Sprintf("%.0f s: %d requests refused (503), %d webhooks disabled at the end", r.OutageS, r.OutageRefused, r.WebhooksDisabled)})
	}
	for _, row := range rows {
		fmt.Fprintf(tw, "%s\t%s\n", row[0], row[1])
	}
	return tw.Flush()
}

// WriteJSON writes the result as one JSON line.
func (r *Result) WriteJSON(w io.Writer) error {
	b, err := json.Marshal(r)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(w, "%s\n", b)
	return err
}
