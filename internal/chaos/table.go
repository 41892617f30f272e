package chaos

import (
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"text/tabwriter"
)

// WriteTable writes one line per scenario.
func (r *Result) WriteTable(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "scenario\taccepted\texpected\treceived\tlost\tdup\tnot final\tsucceeded unreceived\tattempts/requests\tAPI answers during fault\tslowest s\t5xx≠503\tcrashes\tdown s\tsettle s\n")
	for _, s := range r.Scenarios {
		settle := fmt.Sprintf("%.1f", s.SettleS)
		if !s.Settled {
			settle += " (timed out)"
		}
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%d/%d\t%s\t%.1f\t%d\t%s\t%.1f\t%s\n",
			s.Name, s.Accepted, s.Expected, s.ReceivedUnique, s.Lost, s.Duplicates, s.NotFinal,
			s.SucceededNotReceived, s.AttemptRows, s.Requests, counts(s.AnswersDuringFault), s.SlowestAnswerS, s.Defects,
			counts(s.Crashes), s.DownS, settle)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	verdict := "every scenario: 0 lost, 0 not final, 0 marked succeeded but not received, no 5xx but 503"
	if !r.OK {
		verdict = "FAILED: a scenario lost, left non-final or misreported deliveries, or answered a 5xx other than 503"
	}
	_, err := fmt.Fprintf(w, "%s; %g events/s to 2 webhooks; Temporal %s\n", verdict, r.Rate, r.Temporal)
	return err
}

// WriteJSON writes the result as one line of JSON.
func (r *Result) WriteJSON(w io.Writer) error {
	b, err := json.Marshal(r)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(w, "%s\n", b)
	return err
}

// counts is "202:48 503:12", keys sorted; "-" when empty.
func counts(m map[string]int) string {
	if len(m) == 0 {
		return "-"
	}
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(m)) {
		parts = append(parts, fmt.Sprintf("%s:%d", k, m[k]))
	}
	return strings.Join(parts, " ")
}
