package cli

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/ptsaml/ptsaml/internal/config"
	"github.com/ptsaml/ptsaml/internal/credstore"
)

type configureOptions struct {
	metadataURL, metadataFile, spEntityID, acsURL string
	recipients                                    []string
	region, stsEndpoint, role, store, browser     string
	duration                                      time.Duration
	allowIdPInitiated                             bool
	makeDefault                                   bool
	auth, ecpURL, ecpUser, ecpPassword            string
	oidcToken, oidcAudience                       string
	ecpPasswordStdin                              bool
}

func newCmdConfigure(f *Factory) *cobra.Command {
	var o configureOptions
	cmd := &cobra.Command{
		Use:   "configure",
		Short: "Create or change a profile in the config file",
		Long: `Create or change a profile. Flags set values; on a terminal, ptsaml asks
for the IdP metadata and the ACS URL when the profile has none yet.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			file, path, err := f.Config()
			if err != nil {
				return err
			}
			name := f.global.profile
			if name == "" {
				name = "default"
			}
			if file.Profiles == nil {
				file.Profiles = map[string]*config.Profile{}
			}
			p := file.Profiles[name]
			if p == nil {
				p = &config.Profile{}
				file.Profiles[name] = p
			}
			o.applyTo(cmd, p)
			if f.Streams.IsTerminal {
				if err := f.askMissing(p); err != nil {
					return err
				}
			}
			check := *p
			check.Name = name
			check.ApplyDefaults()
			if err := check.Validate(); err != nil {
				return withHint(err, "fix the flags above; nothing was written")
			}
			if o.makeDefault || len(file.Profiles) == 1 {
				file.DefaultProfile = name
			}
			if o.ecpPasswordStdin {
				if err := f.storeECPPassword(cmd.Context(), name); err != nil {
					return err
				}
			}
			if err := file.Save(path); err != nil {
				return fmt.Errorf("write config: %w", err)
			}
			fmt.Fprintf(f.Streams.Err, "Profile %s written to %s.\n", name, path)
			return nil
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&o.metadataURL, "idp-metadata-url", "", "URL of the IdP's SAML metadata")
	fl.StringVar(&o.metadataFile, "idp-metadata-file", "", "file with the IdP's SAML metadata")
	fl.StringVar(&o.spEntityID, "sp-entity-id", "", "SP entity ID, the assertion's Audience (default urn:amazon:webservices)")
	fl.StringVar(&o.acsURL, "acs-url", "", "loopback ACS URL with a fixed port, e.g. http://127.0.0.1:18181/saml/acs")
	fl.StringSliceVar(&o.recipients, "recipients", nil, "accepted Recipient values: acs, aws and/or URLs (default acs,aws)")
	fl.StringVar(&o.region, "region", "", "AWS region for STS (default us-east-1)")
	fl.StringVar(&o.stsEndpoint, "sts-endpoint", "", "STS endpoint URL override")
	fl.StringVar(&o.role, "role", "", "default role: ARN or alias")
	fl.DurationVar(&o.duration, "duration", 0, "session length to request, 15m to 12h (default 1h)")
	fl.StringVar(&o.store, "store", "", "credential store: keyring, file or memory (default keyring)")
	fl.StringVar(&o.browser, "browser-command", "", "command that opens the login URL")
	fl.BoolVar(&o.allowIdPInitiated, "allow-idp-initiated", false, "accept IdP-initiated (unsolicited) responses")
	fl.BoolVar(&o.makeDefault, "default", false, "make this the default profile")
	fl.StringVar(&o.auth, "auth", "", "how to sign in: browser, ecp (service account) or oidc (CI job token)")
	fl.StringVar(&o.ecpURL, "ecp-url", "", "the IdP's ECP (SOAP) endpoint (default: from the metadata)")
	fl.StringVar(&o.ecpUser, "ecp-username", "", "ECP service account user name")
	fl.StringVar(&o.ecpPassword, "ecp-password", "", "where the ECP secret is: keyring, env:VAR or file:/path (never the secret)")
	fl.BoolVar(&o.ecpPasswordStdin, "ecp-password-stdin", false, "read the ECP service account's secret from stdin into the keyring")
	fl.StringVar(&o.oidcToken, "oidc-token", "", "where the CI job token comes from: github, gitlab:VAR or file:/path")
	fl.StringVar(&o.oidcAudience, "oidc-audience", "", "audience to request for the job token (default sts.amazonaws.com)")
	return cmd
}

// applyTo copies the flags the user set into p.
func (o *configureOptions) applyTo(cmd *cobra.Command, p *config.Profile) {
	set := func(flag string, dst *string, v string) {
		if cmd.Flags().Changed(flag) {
			*dst = v
		}
	}
	set("idp-metadata-url", &p.IdPMetadataURL, o.metadataURL)
	set("idp-metadata-file", &p.IdPMetadataFile, o.metadataFile)
	set("sp-entity-id", &p.SPEntityID, o.spEntityID)
	set("acs-url", &p.ACSURL, o.acsURL)
	set("region", &p.Region, o.region)
	set("sts-endpoint", &p.STSEndpoint, o.stsEndpoint)
	set("role", &p.Role, o.role)
	set("store", &p.Store, o.store)
	set("browser-command", &p.BrowserCommand, o.browser)
	set("auth", &p.Auth, o.auth)
	set("ecp-url", &p.ECPURL, o.ecpURL)
	set("ecp-username", &p.ECPUsername, o.ecpUser)
	set("ecp-password", &p.ECPPassword, o.ecpPassword)
	set("oidc-token", &p.OIDCToken, o.oidcToken)
	set("oidc-audience", &p.OIDCAudience, o.oidcAudience)
	if cmd.Flags().Changed("recipients") {
		p.Recipients = o.recipients
	}
	if cmd.Flags().Changed("duration") {
		p.Duration = config.Duration{Duration: o.duration}
	}
	if cmd.Flags().Changed("allow-idp-initiated") {
		p.AllowIdPInitiated = o.allowIdPInitiated
	}
}

// askMissing prompts for the two values no default can supply.
func (f *Factory) askMissing(p *config.Profile) error {
	in := bufio.NewReader(f.Streams.In)
	ask := func(question string) (string, error) {
		fmt.Fprint(f.Streams.Err, question)
		line, err := in.ReadString('\n')
		if err != nil && line == "" {
			return "", fmt.Errorf("read answer: %w", err)
		}
		return strings.TrimSpace(line), nil
	}
	if p.Auth == config.AuthOIDC { // web identity needs neither
		return nil
	}
	var err error
	if p.IdPMetadataURL == "" && p.IdPMetadataFile == "" {
		if p.IdPMetadataURL, err = ask("IdP metadata URL: "); err != nil {
			return err
		}
	}
	if p.ACSURL == "" {
		if p.ACSURL, err = ask("ACS URL registered at the IdP [http://127.0.0.1:18181/saml/acs]: "); err != nil {
			return err
		}
		if p.ACSURL == "" {
			p.ACSURL = "http://127.0.0.1:18181/saml/acs"
		}
	}
	return nil
}

// storeECPPassword reads one line from stdin (never argv) into the keyring.
func (f *Factory) storeECPPassword(ctx context.Context, profile string) error {
	if f.Streams.IsTerminal {
		fmt.Fprint(f.Streams.Err, "ECP service account password (not echoed): ")
	}
	secret, err := readSecret(f.Streams)
	if err != nil {
		return fmt.Errorf("read the ECP password from stdin: %w", err)
	}
	if secret == "" {
		return errors.New("read the ECP password from stdin: it is empty")
	}
	ks, err := credstore.New(credstore.KindKeyring, credstore.Options{})
	if err != nil {
		return err
	}
	if err := ks.Set(ctx, ecpPasswordKey(profile), []byte(secret)); err != nil {
		return fmt.Errorf("store the ECP password: %w", err)
	}
	fmt.Fprintf(f.Streams.Err, "ECP password of profile %s stored in the keyring.\n", profile)
	return nil
}

// readSecret reads a line without echo on a terminal, plainly from a pipe.
func readSecret(s Streams) (string, error) {
	if file, ok := s.In.(*os.File); ok && s.IsTerminal {
		b, err := term.ReadPassword(int(file.Fd()))
		fmt.Fprintln(s.Err)
		return strings.TrimSpace(string(b)), err
	}
	line, err := bufio.NewReader(s.In).ReadString('\n')
	if err != nil && line == "" {
		return "", err
	}
	return strings.TrimRight(line, "\r\n"), nil
}
