// Command ptsaml signs in through SAML single sign-on and keeps short-lived AWS
// role credentials available to the AWS CLI, SDKs and training jobs.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/ptsaml/ptsaml/internal/cli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
	code := cli.Main(ctx, os.Args[1:], cli.SystemStreams())
	stop()
	os.Exit(code)
}
