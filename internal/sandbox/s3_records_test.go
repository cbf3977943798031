package sandbox

import (
	"slices"
	"strconv"
	"testing"
)

// TestRecordRing: the ring keeps the newest records, oldest first, and
// counts every record ever added.
func TestRecordRing(t *testing.T) {
	tests := []struct {
		add      int
		wantKeys []string
	}{
		{0, []string{}},
		{2, []string{"0", "1"}},
		{3, []string{"0", "1", "2"}},
		{4, []string{"1", "2", "3"}},
		{8, []string{"5", "6", "7"}},
	}
	for _, tc := range tests {
		t.Run(strconv.Itoa(tc.add), func(t *testing.T) {
			rr := newRecordRing(3)
			for i := range tc.add {
				rr.add(S3Record{Key: strconv.Itoa(i)})
			}
			recs, total := rr.snapshot()
			keys := []string{}
			for _, r := range recs {
				keys = append(keys, r.Key)
			}
			if !slices.Equal(keys, tc.wantKeys) || total != int64(tc.add) {
				t.Errorf("snapshot = %q, %d; want %q, %d", keys, total, tc.wantKeys, tc.add)
			}
		})
	}
}
