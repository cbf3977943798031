package cli

import (
	"fmt"
	"log/slog"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"github.com/ptsaml/ptsaml/internal/atomicfile"
	"github.com/ptsaml/ptsaml/internal/config"
	"github.com/ptsaml/ptsaml/internal/sandbox"
)

type sandboxOptions struct {
	addr         string
	acsURL       string
	store        string
	shortCreds   time.Duration
	headless     bool
	writeProfile bool
}

func newCmdSandbox(f *Factory) *cobra.Command {
	var o sandboxOptions
	cmd := &cobra.Command{
		Use:   "sandbox",
		Short: "Serve a built-in test IdP and STS on loopback (not for production)",
		Long: `Serve an embedded SAML IdP and an STS that decides like AWS, on loopback,
and write a ready "sandbox" profile, so the whole sign-in path can be tried
without an IdP or an AWS account. Test users: alice (one role), bob (two
roles), carol (no role); each user's password is the user name.

THIS IS A TEST SANDBOX. Its keys and users are public; never use it for
anything real.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return f.runSandbox(cmd, o)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&o.addr, "addr", "127.0.0.1:18900", "loopback address to serve on")
	fl.StringVar(&o.acsURL, "acs-url", "http://127.0.0.1:18300/saml/acs", "ACS URL written into the sandbox profile")
	fl.StringVar(&o.store, "store", "file", "credential store written into the sandbox profile")
	fl.DurationVar(&o.shortCreds, "short-credentials", 0, "TEST ONLY: cap every credential's lifetime, e.g. 60s")
	fl.BoolVar(&o.headless, "headless", false, "sign in without a browser: the profile's browser command fills the sandbox form as alice")
	fl.BoolVar(&o.writeProfile, "write-profile", true, "write the profile into the config file")
	cmd.AddCommand(newCmdSandboxSignIn(f))
	return cmd
}

func (f *Factory) runSandbox(cmd *cobra.Command, o sandboxOptions) error {
	ctx := cmd.Context()
	state, err := f.StateDir()
	if err != nil {
		return err
	}
	logger := slog.New(slog.NewTextHandler(f.Streams.Err, &slog.HandlerOptions{Level: slog.LevelInfo}))
	srv, err := sandbox.Start(ctx, sandbox.Options{
		Addr:          o.addr,
		ACSURLs:       []string{o.acsURL},
		SPEntityID:    "urn:amazon:webservices",
		Clock:         f.Clock,
		CredentialTTL: o.shortCreds,
		Log:           logger,
		StateDir:      filepath.Join(state, "sandbox"),
	})
	if err != nil {
		return withHint(fmt.Errorf("start sandbox: %w", err), "another sandbox may be running; choose another --addr")
	}
	defer srv.Close()

	name := f.global.profile
	if name == "" {
		name = "sandbox"
	}
	p := sandboxProfile(srv, o, f.Executable)
	if o.writeProfile {
		file, path, err := f.Config()
		if err != nil {
			return err
		}
		if file.Profiles == nil {
			file.Profiles = map[string]*config.Profile{}
		}
		file.Profiles[name] = p
		if err := file.Save(path); err != nil {
			return fmt.Errorf("write sandbox profile: %w", err)
		}
		fmt.Fprintf(f.Streams.Err, "Wrote profile %q to %s.\n", name, path)
	}
	// GitHub-Actions-style job tokens for scripts: source this file in a
	// shell to play a CI job (the request token stays out of argv and logs).
	ciEnv := filepath.Join(state, "sandbox", "github-actions.env")
	err = atomicfile.Write(ciEnv, []byte(fmt.Sprintf("ACTIONS_ID_TOKEN_REQUEST_URL=%s\nACTIONS_ID_TOKEN_REQUEST_TOKEN=%s\n",
		srv.OIDCRequestURL(), srv.OIDCRequestToken())), atomicfile.Options{})
	if err != nil {
		return fmt.Errorf("write %s: %w", ciEnv, err)
	}
	fmt.Fprintf(f.Streams.Err, `ptsaml sandbox — A TEST SANDBOX, NOT FOR PRODUCTION
  OIDC issuer:  %s (CI job tokens: set -a; . %s)
  IdP metadata: %s
  STS endpoint: %s
  S3 endpoint:  %s (bucket ptsaml-data; for jobs: AWS_ENDPOINT_URL_S3=%s)
  statistics:   %s/stats
Now run:  ptsaml login --profile %s
Stop with Ctrl-C.
`, srv.OIDCIssuer(), ciEnv, srv.MetadataURL(), srv.STSEndpoint(), srv.S3Endpoint(), srv.S3Endpoint(), srv.URL(), name)
	<-ctx.Done()
	fmt.Fprintf(f.Streams.Err, "sandbox stopped after serving %d STS calls\n", srv.STSCalls())
	return nil
}

// sandboxProfile is a ready profile for a running sandbox.
func sandboxProfile(srv *sandbox.Server, o sandboxOptions, exe string) *config.Profile {
	p := &config.Profile{
		IdPMetadataURL: srv.MetadataURL(),
		SPEntityID:     "urn:amazon:webservices",
		ACSURL:         o.acsURL,
		Recipients:     []string{"acs", "aws"},
		Region:         "us-east-1",
		STSEndpoint:    srv.STSEndpoint(),
		Role:           "arn:aws:iam::123456789012:role/TrainRole",
		Store:          o.store,
	}
	if o.headless {
		p.BrowserCommand = fmt.Sprintf("%q sandbox sign-in --user alice", exe)
	}
	return p
}

func newCmdSandboxSignIn(f *Factory) *cobra.Command {
	var user string
	cmd := &cobra.Command{
		Use:   "sign-in URL",
		Short: "Sign in at the sandbox IdP without a browser (for scripts and demos)",
		Long: `Follow a sandbox login URL like a browser would: fill the sandbox IdP's form
and post its answer to the ACS. Use it as a profile's browser_command. The
password is the sandbox user's public test password, or $PTSAML_SANDBOX_PASSWORD.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			password := f.Getenv("PTSAML_SANDBOX_PASSWORD")
			if password == "" {
				password = user
			}
			return sandbox.SignIn(cmd.Context(), args[0], user, password)
		},
	}
	cmd.Flags().StringVar(&user, "user", "alice", "sandbox user: alice, bob or carol")
	return cmd
}
