package config

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// Duration is a time.Duration written in YAML as a Go duration string
// ("1h", "90m", "3600s") or as a bare integer number of seconds. It is
// written back as a Go duration string ("1h0m0s").
type Duration struct{ time.Duration }

// ParseDuration reads a Go duration string or a bare integer number of
// seconds, as accepted in the config file (and useful for flags and env).
func ParseDuration(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		const maxSeconds = math.MaxInt64 / int64(time.Second)
		if n > maxSeconds || n < -maxSeconds {
			return 0, fmt.Errorf("duration %q is too large", s)
		}
		return time.Duration(n) * time.Second, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("invalid duration %q: use a Go duration such as 1h or 90m, or whole seconds", s)
	}
	return d, nil
}

// UnmarshalYAML accepts "1h", "90m", "3600s" or 3600.
func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.ScalarNode {
		return fmt.Errorf("line %d: duration must be a value such as 1h or 3600, not a list or map", n.Line)
	}
	v, err := ParseDuration(n.Value)
	if err != nil {
		return fmt.Errorf("line %d: %w", n.Line, err)
	}
	d.Duration = v
	return nil
}

// MarshalYAML writes the Go duration string, e.g. "1h30m0s".
func (d Duration) MarshalYAML() (any, error) {
	return d.Duration.String(), nil
}

// IsZero reports an unset duration, so omitempty leaves it out.
func (d Duration) IsZero() bool { return d.Duration == 0 }
