package config

import (
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"
)

func TestDurationYAML(t *testing.T) {
	tests := []struct {
		in      string
		want    time.Duration
		wantErr bool
	}{
		{"1h", time.Hour, false},
		{"90m", 90 * time.Minute, false},
		{"3600s", time.Hour, false},
		{"3600", time.Hour, false},
		{`"900"`, 15 * time.Minute, false},
		{"1h30m", 90 * time.Minute, false},
		{"1.5", 0, true},
		{"an hour", 0, true},
		{"99999999999999999", 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			var v struct {
				D Duration `yaml:"d"`
			}
			err := yaml.Unmarshal([]byte("d: "+tt.in), &v)
			if tt.wantErr {
				if err == nil {
					t.Fatalf("decoded %q as %v, want error", tt.in, v.D)
				}
				return
			}
			if err != nil || v.D.Duration != tt.want {
				t.Fatalf("decode %q = %v, %v; want %v", tt.in, v.D, err, tt.want)
			}
			out, err := yaml.Marshal(v)
			if err != nil {
				t.Fatal(err)
			}
			if want := "d: " + tt.want.String() + "\n"; string(out) != want {
				t.Errorf("marshal = %q, want %q", out, want)
			}
		})
	}
}

func TestParseDurationMessage(t *testing.T) {
	_, err := ParseDuration("soon")
	if err == nil || !strings.Contains(err.Error(), `invalid duration "soon"`) || !strings.Contains(err.Error(), "1h") {
		t.Errorf("ParseDuration(soon) error = %v", err)
	}
}
