// Command credbench measures the credential endpoint: it starts one
// in-process server, sends N requests at each concurrency level over real
// loopback HTTP, and prints p50/p99 latency and requests per second, first
// with keep-alive connections and then with a new connection per request
// (which includes the once-per-connection socket-owner lookup on Linux).
//
// With -exec it instead serves made-up credentials to one command, e.g.
//
//	credbench -exec -- python3 -c 'import boto3; print(boto3.Session().get_credentials().get_frozen_credentials())'
//
// passing the endpoint in AWS_CONTAINER_CREDENTIALS_FULL_URI and
// AWS_CONTAINER_AUTHORIZATION_TOKEN, and exits with the command's code.
// -expired serves credentials that have already run out (HTTP 503).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/ptsaml/ptsaml/internal/credserver"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("credbench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	n := fs.Int("n", 20000, "requests per concurrency level (keep-alive)")
	freshN := fs.Int("fresh-n", 2000, "requests per level with a new connection each (0 = skip)")
	levels := fs.String("c", "1,16,64", "concurrency levels, comma-separated")
	execMode := fs.Bool("exec", false, "serve made-up credentials to the command after -- instead of benchmarking")
	expired := fs.Bool("expired", false, "with -exec: serve credentials that have already expired")
	noPeer := fs.Bool("allow-other-users", false, "turn off the socket-owner check (to see its cost)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	s, err := credserver.Start(ctx, credserver.Options{Log: log, AllowOtherUsers: *noPeer})
	if err != nil {
		_, _ = fmt.Fprintf(stderr, "error: %v\n", err)
		return 1
	}
	defer func() { _ = s.Close() }()
	exp := time.Now().Add(time.Hour).Truncate(time.Second)
	if *expired {
		exp = time.Now().Add(-time.Minute).Truncate(time.Second)
	}
	s.Update(credserver.Credentials{
		AccessKeyID:     "ASIACREDBENCHEXAMPLE",
		SecretAccessKey: "credbench-made-up-secret-key-000000000000",
		SessionToken:    "credbench-made-up-session-token",
		Expiration:      exp,
	})

	if *execMode {
		return execute(ctx, s, fs.Args(), stdout, stderr)
	}
	var conc []int
	for _, f := range strings.Split(*levels, ",") {
		c, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || c < 1 {
			_, _ = fmt.Fprintf(stderr, "error: -c: %q is not a concurrency level\n", f)
			return 2
		}
		conc = append(conc, c)
	}
	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	_, _ = fmt.Fprintln(tw, "connections\tconcurrency\trequests\tp50\tp99\tmax\treq/s\t")
	for _, mode := range []struct {
		name string
		keep bool
		n    int
	}{{"keep-alive", true, *n}, {"new each", false, *freshN}} {
		if mode.n <= 0 {
			continue
		}
		for _, c := range conc {
			r, err := measure(ctx, s, c, mode.n, mode.keep)
			if err != nil {
				_, _ = fmt.Fprintf(stderr, "error: %v\n", err)
				return 1
			}
			_, _ = fmt.Fprintf(tw, "%s\t%d\t%d\t%s\t%s\t%s\t%.0f\t\n", mode.name, c, r.requests,
				micros(r.p50), micros(r.p99), micros(r.max), r.perSecond)
		}
	}
	_ = tw.Flush()
	st := s.Stats()
	_, _ = fmt.Fprintf(stdout, "served %d, refused %v\n", st.Served, st.Refused)
	return 0
}

// execute runs argv with the endpoint in its environment.
func execute(ctx context.Context, s *credserver.Server, argv []string, stdout, stderr io.Writer) int {
	if len(argv) == 0 {
		_, _ = fmt.Fprintln(stderr, "error: -exec needs a command after --")
		return 2
	}
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, stdout, stderr
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "AWS_") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Env = append(cmd.Env,
		"AWS_CONTAINER_CREDENTIALS_FULL_URI="+s.URL(),
		"AWS_CONTAINER_AUTHORIZATION_TOKEN="+s.Token(),
		"AWS_EC2_METADATA_DISABLED=true",
	)
	err := cmd.Run()
	st := s.Stats()
	_, _ = fmt.Fprintf(stderr, "credbench: served %d, refused %v\n", st.Served, st.Refused)
	var exit *exec.ExitError
	switch {
	case errors.As(err, &exit):
		return exit.ExitCode()
	case err != nil:
		_, _ = fmt.Fprintf(stderr, "error: %v\n", err)
		return 1
	}
	return 0
}

func micros(d time.Duration) string {
	return fmt.Sprintf("%.1fµs", float64(d)/float64(time.Microsecond))
}
