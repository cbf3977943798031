package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/crewjam/saml"

	"github.com/ptsaml/ptsaml/internal/audit"
	"github.com/ptsaml/ptsaml/internal/ciauth"
	"github.com/ptsaml/ptsaml/internal/config"
	"github.com/ptsaml/ptsaml/internal/credstore"
	"github.com/ptsaml/ptsaml/pkg/broker"
	"github.com/ptsaml/ptsaml/pkg/login"
)

// loginECP signs in with the profile's service account over SAML ECP.
func (f *Factory) loginECP(ctx context.Context, p *config.Profile, cfg login.Config, d login.Deps) (*login.Result, error) {
	user := p.ECPUsername
	if user == "" {
		user = f.Getenv("PTSAML_ECP_USERNAME")
	}
	if user == "" {
		return nil, withHint(errors.New("auth ecp: no service account user name"),
			"set ecp_username: in the profile or PTSAML_ECP_USERNAME")
	}
	password, err := f.ecpPassword(ctx, p)
	if err != nil {
		return nil, err
	}
	endpoint := p.ECPURL
	if endpoint == "" {
		endpoint = soapSSO(cfg.IDP)
	}
	if endpoint == "" {
		return nil, withHint(errors.New("auth ecp: the IdP metadata names no SOAP (ECP) SingleSignOnService"),
			"set ecp_url: to the IdP's ECP endpoint, or enable ECP at the IdP")
	}
	res, err := login.LoginECP(ctx, cfg, login.ECPConfig{URL: endpoint, Username: user, Password: password, HTTPClient: f.HTTP}, d)
	if errors.Is(err, login.ErrECPCredentials) {
		return nil, withHint(err, "check ecp_username (or PTSAML_ECP_USERNAME) and the secret that ecp_password (%s) names", orDefault(p.ECPPassword, "keyring"))
	}
	return res, err
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// ecpPasswordKey is where `configure --ecp-password-stdin` keeps a profile's
// service account secret in the keyring.
func ecpPasswordKey(profile string) string { return "ecp-password:" + profile }

// ecpPassword reads the service account's secret from where the profile
// says: the keyring, an environment variable or a file. Never from argv.
// keyringPassword reports whether the profile's ECP password is held in the
// keyring (neither env: nor file:).
func keyringPassword(p *config.Profile) bool {
	return !strings.HasPrefix(p.ECPPassword, "env:") && !strings.HasPrefix(p.ECPPassword, "file:")
}

func (f *Factory) ecpPassword(ctx context.Context, p *config.Profile) (string, error) {
	src := p.ECPPassword
	switch {
	case strings.HasPrefix(src, "env:"):
		name := strings.TrimPrefix(src, "env:")
		if v := f.Getenv(name); v != "" {
			return v, nil
		}
		return "", withHint(fmt.Errorf("auth ecp: ecp_password names %s, which is empty or unset", name),
			"export %s in the job's environment (a CI secret)", name)
	case strings.HasPrefix(src, "file:"):
		path := strings.TrimPrefix(src, "file:")
		b, err := os.ReadFile(path)
		if err != nil {
			return "", fmt.Errorf("auth ecp: read the password file: %w", err)
		}
		if fi, err := os.Stat(path); err == nil && fi.Mode().Perm()&0o077 != 0 {
			fmt.Fprintf(f.Streams.Err, "warning: %s is readable by other users; chmod 600 it\n", path)
		}
		return strings.TrimRight(string(b), "\r\n"), nil
	default:
		ks, err := credstore.New(credstore.KindKeyring, credstore.Options{})
		if err != nil {
			return "", err
		}
		b, err := ks.Get(ctx, ecpPasswordKey(p.Name))
		if last := f.ecpKeyringPassword.Load(); errors.Is(err, credstore.ErrUnavailable) && last != nil && last.profile == p.Name {
			return last.value, nil // a running job renews with the password it read at its start
		}
		if errors.Is(err, credstore.ErrNotFound) {
			return "", withHint(fmt.Errorf("auth ecp: no service account password in the keyring for profile %s", p.Name),
				"store it with `ptsaml configure --profile %s --ecp-password-stdin`, or set ecp_password: env:VAR or file:/path", p.Name)
		}
		if err != nil {
			return "", err
		}
		f.ecpKeyringPassword.Store(&profileSecret{profile: p.Name, value: string(b)})
		return string(b), nil
	}
}

// soapSSO is the IdP's SingleSignOnService for the SOAP binding (ECP).
func soapSSO(ed *saml.EntityDescriptor) string {
	for _, idp := range ed.IDPSSODescriptors {
		for _, sso := range idp.SingleSignOnServices {
			if sso.Binding == saml.SOAPBinding {
				return sso.Location
			}
		}
	}
	return ""
}

// signInWebIdentity exchanges a CI job's OIDC token for role credentials.
func (f *Factory) signInWebIdentity(ctx context.Context, p *config.Profile, o signInOptions, role string, aud *audit.Log) (*broker.Session, error) {
	if role == "" {
		return nil, withHint(errors.New("auth oidc: no role to assume"), "set role: in the profile or pass --role ARN")
	}
	src, err := ciauth.FromSetting(p.OIDCToken, f.Getenv, f.HTTP, p.OIDCAudience)
	if err != nil {
		return nil, err
	}
	token, err := src.Token(ctx)
	if err != nil {
		return nil, fmt.Errorf("auth oidc: %w", err)
	}
	client := broker.NewSTS(p.Region, p.STSEndpoint, f.HTTP)
	sess, err := broker.ExchangeWebIdentity(ctx, client, broker.WebIdentityInput{
		Token: token, RoleARN: role, Duration: o.duration, Profile: p.Name,
	}, broker.Deps{Clock: f.Clock, Audit: aud, Status: f.Streams.Err, Log: f.Log})
	if err != nil {
		return nil, explainExchange(err, role)
	}
	return sess, nil
}
