// Command chromelogin signs in at a SimpleSAMLphp IdP with headless Chromium.
//
//	PTSAML_E2E_USER=alice PTSAML_E2E_PASSWORD=alice-pass chromelogin URL
//
// It is the --browser-command of ptsaml's end-to-end tests: ptsaml appends the
// login URL as the last argument. The exit status is 0 when the ACS the IdP
// posted to answered with a success page, 1 otherwise. CHROMELOGIN_CHROME
// overrides the browser (default /usr/bin/chromium).
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/ptsaml/ptsaml/internal/testing/chromelogin"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:])
	stop()
	os.Exit(code)
}

func run(ctx context.Context, args []string) int {
	if len(args) == 0 {
		fmt.Fprintln(os.Stderr, "usage: chromelogin URL (with PTSAML_E2E_USER and PTSAML_E2E_PASSWORD set)")
		return 2
	}
	o := chromelogin.Options{
		ChromePath: os.Getenv("CHROMELOGIN_CHROME"),
		User:       os.Getenv("PTSAML_E2E_USER"),
		Password:   os.Getenv("PTSAML_E2E_PASSWORD"),
		Timeout:    90 * time.Second,
		Log:        os.Stderr,
	}
	if o.User == "" || o.Password == "" {
		fmt.Fprintln(os.Stderr, "chromelogin: error: PTSAML_E2E_USER and PTSAML_E2E_PASSWORD must be set")
		return 2
	}
	if _, err := chromelogin.Run(ctx, args[len(args)-1], o); err != nil {
		fmt.Fprintf(os.Stderr, "chromelogin: error: %v\n", err)
		return 1
	}
	return 0
}
