package submit

import (
	"regexp"
	"slices"
	"testing"
	"time"
)

func TestNewJobID(t *testing.T) {
	at := time.Date(2026, 3, 4, 5, 6, 7, 0, time.FixedZone("x", 3600))
	a, b := NewJobID(at), NewJobID(at)
	if !regexp.MustCompile(`^20260304T040607Z-[0-9a-f]{12}$`).MatchString(a) {
		t.Errorf("NewJobID = %q, want UTC time then 12 hex digits", a)
	}
	if a == b {
		t.Errorf("two ids in the same second are both %q", a)
	}
}

func TestWithJobID(t *testing.T) {
	got := WithJobID([]string{"A=1", JobIDVar + "=outer", "B=2"}, "inner")
	want := []string{"A=1", "B=2", JobIDVar + "=inner"}
	if !slices.Equal(got, want) {
		t.Errorf("WithJobID = %q, want %q", got, want)
	}
}
