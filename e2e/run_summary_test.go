package e2e

import (
	"bufio"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
)

// trainSummary is the PTSAML_TRAIN_SUMMARY line of one rank of examples/train.py.
type trainSummary struct {
	Rank        int            `json:"rank"`
	WorldSize   int            `json:"world_size"`
	Steps       int            `json:"steps"`
	S3Calls     int            `json:"s3_calls"`
	S3Failures  int            `json:"s3_failures"`
	S3Errors    map[string]int `json:"s3_errors"`
	AccessKeys  int            `json:"access_keys"`
	Checkpoints int            `json:"checkpoints"`
	LossFirst   *float64       `json:"loss_first"`
	LossLast    *float64       `json:"loss_last"`
	Seconds     float64        `json:"seconds"`
	GaveUp      bool           `json:"gave_up"`
}

// summaries returns the ranks' summaries found in out, by rank (torchrun
// prefixes each line with "[defaultN]:").
func summaries(t *testing.T, out string) map[int]trainSummary {
	t.Helper()
	got := map[int]trainSummary{}
	sc := bufio.NewScanner(strings.NewReader(out))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		_, js, ok := strings.Cut(sc.Text(), "PTSAML_TRAIN_SUMMARY ")
		if !ok {
			continue
		}
		var s trainSummary
		if err := json.Unmarshal([]byte(js), &s); err != nil {
			t.Fatalf("bad summary line %q: %v", sc.Text(), err)
		}
		got[s.Rank] = s
	}
	return got
}

// checkTrained asserts that every one of ranks trained with no S3 failure
// and that the loss went down, and returns the largest access key count.
func checkTrained(t *testing.T, out string, ranks int) int {
	t.Helper()
	sums, keys := summaries(t, out), 0
	for r := range ranks {
		s, ok := sums[r]
		switch {
		case !ok:
			t.Errorf("rank %d printed no PTSAML_TRAIN_SUMMARY", r)
			continue
		case s.S3Failures != 0:
			t.Errorf("rank %d: %d of %d S3 calls failed (%v)", r, s.S3Failures, s.S3Calls, s.S3Errors)
		case s.Steps == 0 || s.LossFirst == nil || s.LossLast == nil:
			t.Errorf("rank %d trained no step: %+v", r, s)
		case *s.LossLast >= *s.LossFirst:
			t.Errorf("rank %d: loss did not drop (%.3f -> %.3f)", r, *s.LossFirst, *s.LossLast)
		}
		t.Logf("rank %d: %d steps in %.0fs, %d S3 calls, %d access keys, %d checkpoints, loss %v -> %v",
			r, s.Steps, s.Seconds, s.S3Calls, s.AccessKeys, s.Checkpoints, deref(s.LossFirst), deref(s.LossLast))
		keys = max(keys, s.AccessKeys)
	}
	return keys
}

func deref(f *float64) string {
	if f == nil {
		return "-"
	}
	return fmt.Sprintf("%.3f", *f)
}
