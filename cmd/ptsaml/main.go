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
	// Signals go to the CLI rather than straight to a context: most commands
	// stop on the first one, but `run` and `exec` hand them to the job.
	sigs := make(chan os.Signal, 8)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
	code := cli.Main(context.Background(), os.Args[1:], cli.SystemStreams(), sigs)
	signal.Stop(sigs)
	os.Exit(code)
}
