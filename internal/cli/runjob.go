package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/term"

	"github.com/jonboulle/clockwork"

	"github.com/ptsaml/ptsaml/internal/config"
	"github.com/ptsaml/ptsaml/internal/credserver"
	"github.com/ptsaml/ptsaml/pkg/broker"
	"github.com/ptsaml/ptsaml/pkg/submit"
)

// runJob serves the profile's credentials on a loopback endpoint, keeps them
// fresh, and runs argv with that endpoint in its environment. The job's own
// exit code becomes ptsaml's.
func (f *Factory) runJob(ctx context.Context, p *config.Profile, argv []string, o jobOptions) error {
	notify, err := splitCommand(o.notify)
	if err != nil {
		return err
	}
	sess, err := f.jobSession(ctx, p, o.signIn)
	if err != nil {
		return err
	}
	srv, err := credserver.Start(ctx, credserver.Options{Clock: f.Clock, Log: f.Log,
		Expired: func(last credserver.Credentials) string { return submit.ExpiredMessage(p.Name, last.Expiration) }})
	if err != nil {
		return fmt.Errorf("start credential endpoint: %w", err)
	}
	defer srv.Close()
	srv.Update(serverCredentials(sess))

	env, removed := submit.CleanEnv(f.Environ())
	if len(removed) > 0 {
		fmt.Fprintf(f.Streams.Err, "ptsaml: removed %s from the job's environment: the endpoint serves its credentials\n", strings.Join(removed, ", "))
	}
	jobID := submit.NewJobID(f.Clock.Now())
	env = submit.WithJobID(submit.JobEnv(env, srv.URL(), srv.Token(), p.Region), jobID)
	home, _ := f.home()
	if w := submit.StaticDefaultWarning(env, home); w != "" {
		fmt.Fprintln(f.Streams.Err, w)
	}
	// ECP and OIDC profiles sign in again by themselves before expiry.
	var reauth submit.Reauth
	if p.NonInteractive() {
		// Renewals keep the job's role: never a role prompt mid-job.
		ro := o.signIn
		ro.role, ro.project = sess.RoleARN, ""
		reauth = func(ctx context.Context) (*broker.Session, error) { return f.signInForJob(ctx, p, ro) }
		if p.Auth == config.AuthECP && keyringPassword(p) {
			// Read a keyring-held password now, so renewals work even if the
			// keyring goes away mid-job; a failure shows at the first renewal.
			_, _ = f.ecpPassword(ctx, p)
		}
	}
	fmt.Fprintln(f.Streams.Err, submit.StartLine(sess, reauth != nil, f.Clock.Now()))

	aud, err := f.Audit()
	if err != nil {
		return err
	}
	defer aud.Close()
	cache, err := f.cache(p, o.signIn.store)
	if err != nil {
		return err
	}
	refresher := submit.NewRefresher(cacheSource{cache: cache, profile: p.Name}, srv, submit.RefreshOptions{
		Profile: p.Name, RoleARN: sess.RoleARN, WarnBefore: o.warnBefore, NotifyCommand: notify, Reauth: reauth, JobID: jobID,
	}, submit.Deps{Clock: clockwork.NewRealClock(), Status: f.Streams.Err, Audit: aud, Log: f.Log})
	rctx, stopRefresher := context.WithCancel(ctx)
	refreshed := make(chan struct{})
	go func() {
		defer close(refreshed)
		_ = refresher.Run(rctx)
	}()

	start := f.Clock.Now()
	_ = aud.Record("job.start", jobFields(sess.AuditFields(), jobID, argv, f.Getenv))
	code, runErr := submit.Run(ctx, submit.Job{
		Argv: argv, Env: env, Stdin: jobStdin(f.Streams.In), Stdout: f.Streams.Out, Stderr: f.Streams.Err,
	}, f.claimSignals(), submit.RunDeps{Status: f.Streams.Err, Log: f.Log, Guard: f.guardArgv()})
	stopRefresher()
	<-refreshed
	stats := srv.Stats()
	end := map[string]any{"profile": p.Name, "role_arn": sess.RoleARN, "exit_code": code,
		"duration_seconds": int64(f.Clock.Now().Sub(start).Seconds()), "refreshes": refresher.Refreshes(), "requests_served": stats.Served}
	if cur, ok := srv.Current(); ok {
		end["access_key_id"] = cur.AccessKeyID // the last credentials the job was served
	}
	_ = aud.Record("job.end", jobFields(end, jobID, argv, f.Getenv))
	if runErr != nil {
		return runErr
	}
	return &jobExit{code: code}
}

// jobSession returns credentials for the job's role: the cached ones while
// fresh, else a sign-in when one may start here.
func (f *Factory) jobSession(ctx context.Context, p *config.Profile, o signInOptions) (*broker.Session, error) {
	want, err := p.ResolveRole(o.role, o.project)
	if err != nil {
		return nil, err
	}
	cache, err := f.cache(p, o.store)
	if err != nil {
		return nil, err
	}
	accept := func(s *broker.Session) bool { return want == "" || s.RoleARN == want }
	sess, err := cache.Ensure(ctx, f.ensureOptions(p, o, accept))
	if errors.Is(err, broker.ErrDamaged) {
		return nil, err // says what to do; signing in would not help
	}
	if err != nil && f.nobodyToSignIn(p, o) {
		return nil, f.needsPerson(p, err)
	}
	if errors.Is(err, broker.ErrLoginRequired) {
		return nil, fmt.Errorf("%w%s; run `ptsaml login --profile %s`", err, roleNote(want), p.Name)
	}
	return sess, err
}

func roleNote(want string) string {
	if want == "" {
		return ""
	}
	return " for role " + want
}

// jobStdin is what the job reads: ptsaml's stdin, except a terminal. The
// job runs in its own process group, outside the terminal's foreground, so a
// read from the terminal (input(), a pdb prompt) would stop it with SIGTTIN;
// it reads end-of-file instead.
func jobStdin(in io.Reader) io.Reader {
	if f, ok := in.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		return nil
	}
	return in
}

// jobFields adds to fields what names the job in an audit record: its ptsaml
// job id, the command, and the scheduler's ids when it runs under one.
func jobFields(fields map[string]any, jobID string, argv []string, getenv func(string) string) map[string]any {
	fields["job_id"] = jobID
	fields["command"] = filepath.Base(argv[0])
	for _, v := range []string{"SLURM_JOB_ID", "SLURM_STEP_ID", "SLURM_PROCID"} {
		if id := getenv(v); id != "" {
			fields[strings.ToLower(v)] = id
		}
	}
	return fields
}

// cacheSource re-reads the store, so a login in any terminal reaches the job.
type cacheSource struct {
	cache   broker.Cache
	profile string
}

func (s cacheSource) Load(ctx context.Context) (*broker.Session, error) {
	return s.cache.Load(ctx, s.profile)
}

func serverCredentials(s *broker.Session) credserver.Credentials {
	return credserver.Credentials{AccessKeyID: s.AccessKeyID, SecretAccessKey: s.SecretAccessKey,
		SessionToken: s.SessionToken, Expiration: s.Expiration}
}
