package cli

import (
	"bufio"
	"fmt"
	"strconv"
	"strings"

	"github.com/ptsaml/ptsaml/pkg/broker"
	"github.com/ptsaml/ptsaml/pkg/login"
)

// ttyPicker asks on the terminal which of several roles to assume.
type ttyPicker struct{ streams Streams }

func (p ttyPicker) Pick(roles []login.RolePair) (int, error) {
	fmt.Fprintln(p.streams.Err, "The IdP offers several roles:")
	for i, r := range roles {
		fmt.Fprintf(p.streams.Err, "  %d) %s\n", i+1, r.RoleARN)
	}
	in := bufio.NewReader(p.streams.In)
	for {
		fmt.Fprintf(p.streams.Err, "Choose a role [1-%d]: ", len(roles))
		line, err := in.ReadString('\n')
		n, convErr := strconv.Atoi(strings.TrimSpace(line))
		if convErr == nil && n >= 1 && n <= len(roles) {
			return n - 1, nil
		}
		if err != nil {
			return 0, fmt.Errorf("read role choice: %w", err)
		}
	}
}

// picker returns an interactive picker on a terminal and nil otherwise, so a
// script gets an error listing the roles instead of a prompt.
func (f *Factory) picker() broker.Picker {
	if !f.Streams.IsTerminal {
		return nil
	}
	return ttyPicker{streams: f.Streams}
}
