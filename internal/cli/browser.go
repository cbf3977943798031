package cli

import (
	"context"
	"fmt"
	"os/exec"

	"github.com/google/shlex"
	"github.com/pkg/browser"

	"github.com/ptsaml/ptsaml/pkg/login"
)

// commandOpener runs a user-chosen command with the login URL as its last
// argument (--browser-command / browser_command).
type commandOpener struct {
	argv    []string
	streams Streams
}

func (o commandOpener) Open(_ context.Context, url string) error {
	args := append(append([]string{}, o.argv[1:]...), url)
	cmd := exec.Command(o.argv[0], args...) // outlives the login, like any browser
	cmd.Stdout = o.streams.Err              // stdout is for ptsaml's own data
	cmd.Stderr = o.streams.Err
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start browser command %q: %w", o.argv[0], err)
	}
	// The login waits for the IdP's answer, not for the command; a failing
	// command is reported while the login keeps waiting.
	go func() {
		if err := cmd.Wait(); err != nil {
			fmt.Fprintf(o.streams.Err, "warning: browser command %s: %v\n", o.argv[0], err)
		}
	}()
	return nil
}

// systemOpener opens the URL in the user's default browser.
type systemOpener struct{ streams Streams }

func (o systemOpener) Open(_ context.Context, url string) error {
	browser.Stdout = o.streams.Err
	browser.Stderr = o.streams.Err
	if err := browser.OpenURL(url); err != nil {
		return withHint(fmt.Errorf("open the system browser: %w", err),
			"use --no-browser to print the URL, or --browser-command CMD to choose a browser")
	}
	return nil
}

// opener picks how the login URL reaches a browser: the test seam, then
// --browser-command / browser_command, then the system browser.
func (f *Factory) opener(command string) (login.Opener, error) {
	if f.Opener != nil {
		return f.Opener, nil
	}
	if command != "" {
		argv, err := shlex.Split(command)
		if err != nil || len(argv) == 0 {
			return nil, withHint(fmt.Errorf("browser command %q cannot be parsed", command),
				"give a program and its arguments, e.g. --browser-command 'firefox --new-window'")
		}
		return commandOpener{argv: argv, streams: f.Streams}, nil
	}
	if f.nonInteractive() {
		return nil, withHint(fmt.Errorf("%w: no browser in non-interactive mode", ErrLoginRequired),
			"run `ptsaml login` at a terminal, or set auth: ecp or auth: oidc in the profile for CI (docs/ci.md)")
	}
	return systemOpener{streams: f.Streams}, nil
}
