package login

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"time"

	"github.com/crewjam/saml"
	"github.com/jonboulle/clockwork"
	dsig "github.com/russellhaering/goxmldsig"
)

// withDefaults checks what Validate needs and fills defaults: Recipients =
// [ACSURL], Timeout = DefaultTimeout.
func (cfg Config) withDefaults() (Config, error) {
	if cfg.IDP == nil {
		return cfg, errors.New("login config: no IdP metadata")
	}
	if cfg.SPEntityID == "" {
		return cfg, errors.New("login config: sp_entity_id is empty")
	}
	if len(cfg.Recipients) == 0 && cfg.ACSURL != "" {
		cfg.Recipients = []string{cfg.ACSURL}
	}
	if len(cfg.Recipients) == 0 {
		return cfg, errors.New("login config: no accepted recipients and no acs_url")
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = DefaultTimeout
	}
	return cfg, nil
}

// normalise is withDefaults plus the loopback ACS Login listens on, which
// must be http://127.0.0.1:PORT/PATH.
func (cfg Config) normalise() (Config, *url.URL, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return cfg, nil, err
	}
	acs, err := url.Parse(cfg.ACSURL)
	if err != nil {
		return cfg, nil, fmt.Errorf("login config: acs_url: %w", err)
	}
	host, port, err := net.SplitHostPort(acs.Host)
	if acs.Scheme != "http" || err != nil || host != "127.0.0.1" || port == "" || port == "0" || acs.Path == "" || acs.RawQuery != "" {
		return cfg, nil, fmt.Errorf("login config: acs_url %q must look like http://127.0.0.1:PORT/PATH (a fixed port)", cfg.ACSURL)
	}
	return cfg, acs, nil
}

// newServiceProvider is crewjam's view of this SP. Its clock is ours, so no
// crewjam package global is touched.
func newServiceProvider(cfg Config, clk Clock) *saml.ServiceProvider {
	var acs url.URL
	if u, err := url.Parse(cfg.ACSURL); err == nil {
		acs = *u
	}
	return &saml.ServiceProvider{
		EntityID:             cfg.SPEntityID,
		AcsURL:               acs,
		IDPMetadata:          cfg.IDP,
		AuthnNameIDFormat:    saml.UnspecifiedNameIDFormat,
		AllowIDPInitiated:    cfg.AllowIdPInitiated,
		RejectSHA1Signatures: true,
		Clock:                dsig.NewFakeClock(clockworkAdapter{Clock: clockwork.NewRealClock(), now: clk}),
		ValidateAudienceRestriction: func(a *saml.Assertion) error {
			return checkAudience(a, cfg.SPEntityID)
		},
		AssertionConsumerServiceBindings: []string{saml.HTTPPostBinding},
	}
}

// clockworkAdapter gives crewjam (through goxmldsig) our notion of now.
type clockworkAdapter struct {
	clockwork.Clock
	now Clock
}

func (c clockworkAdapter) Now() time.Time { return c.now.Now() }

func (c clockworkAdapter) Since(t time.Time) time.Duration { return c.Now().Sub(t) }

func (c clockworkAdapter) Until(t time.Time) time.Duration { return t.Sub(c.Now()) }
