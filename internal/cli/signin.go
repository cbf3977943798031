package cli

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"time"

	"github.com/crewjam/saml"

	"github.com/ptsaml/ptsaml/internal/audit"
	"github.com/ptsaml/ptsaml/internal/config"
	"github.com/ptsaml/ptsaml/internal/credstore"
	"github.com/ptsaml/ptsaml/internal/idpmeta"
	"github.com/ptsaml/ptsaml/pkg/broker"
	"github.com/ptsaml/ptsaml/pkg/login"
)

// signInOptions are the login choices shared by `login` and `credential-process`.
type signInOptions struct {
	role           string
	project        string
	browserCommand string
	noBrowser      bool
	store          string
	duration       time.Duration
	timeout        time.Duration
}

func (o *signInOptions) apply(p *config.Profile) {
	if o.browserCommand == "" {
		o.browserCommand = p.BrowserCommand
	}
	if o.store == "" {
		o.store = p.Store
	}
	if o.duration == 0 {
		o.duration = p.Duration.Duration
	}
	if o.timeout == 0 {
		o.timeout = p.LoginTimeout.Duration
	}
}

// signIn runs one whole login: IdP metadata, browser round trip, role choice,
// STS exchange, and saving the credentials. Nothing is stored unless every
// step succeeded.
func (f *Factory) signIn(ctx context.Context, p *config.Profile, o signInOptions) (*broker.Session, error) {
	sess, err := f.signInTo(ctx, p, o, true)
	if err != nil {
		return nil, err
	}
	return sess, nil
}

// signInForJob is signIn for a running job's renewal: the job needs the new
// session even when the store cannot keep it (the keyring daemon went away),
// so a failed save returns the session together with the error, and the
// store is not probed first.
//
// It holds the profile's lock, as `ptsaml login` does, so that two writers
// never save the same entry at once; when another process holds it, that
// process is signing in and its session reaches the job through the store.
func (f *Factory) signInForJob(ctx context.Context, p *config.Profile, o signInOptions) (*broker.Session, error) {
	locks, err := f.lockDir()
	if err != nil {
		return nil, err
	}
	unlock, ok, err := broker.TryLock(locks, p.Name)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, fmt.Errorf("another ptsaml process is signing in to profile %s; the job takes its credentials when it is done", p.Name)
	}
	defer unlock()
	return f.signInTo(ctx, p, o, false)
}

// signInTo does the work of signIn; probe checks the store before the IdP
// round trip. A failed save returns the session and the error.
func (f *Factory) signInTo(ctx context.Context, p *config.Profile, o signInOptions, probe bool) (*broker.Session, error) {
	o.apply(p)
	wantRole, err := p.ResolveRole(o.role, o.project)
	if err != nil {
		return nil, err
	}
	store, err := f.Store(o.store)
	if err != nil {
		return nil, err
	}
	cache := broker.Cache{Store: store, Clock: f.Clock}
	if probe {
		// Find out now, not after the IdP round trip, whether the store works.
		if _, err := cache.Load(ctx, p.Name); errors.Is(err, credstore.ErrUnavailable) {
			return nil, err
		}
	}
	aud, err := f.Audit()
	if err != nil {
		return nil, err
	}
	defer aud.Close()

	var sess *broker.Session
	if p.Auth == config.AuthOIDC {
		sess, err = f.signInWebIdentity(ctx, p, o, wantRole, aud)
	} else {
		sess, err = f.signInSAML(ctx, p, o, wantRole, aud)
	}
	if err != nil {
		return nil, err
	}
	sess.Store = store.Name()
	if err := cache.Save(ctx, sess); err != nil {
		return sess, err // names the profile and the store
	}
	return sess, nil
}

// signInSAML gets an assertion (browser or ECP), picks the role and
// exchanges it with AssumeRoleWithSAML.
func (f *Factory) signInSAML(ctx context.Context, p *config.Profile, o signInOptions, wantRole string, aud *audit.Log) (*broker.Session, error) {
	meta, err := f.idpMetadata(ctx, p)
	if err != nil {
		return nil, err
	}
	state, err := f.StateDir()
	if err != nil {
		return nil, err
	}
	cfg := login.Config{
		IDP:               meta,
		SPEntityID:        p.SPEntityID,
		ACSURL:            p.ACSURL,
		Recipients:        p.AcceptedRecipients(),
		AllowIdPInitiated: p.AllowIdPInitiated,
		Timeout:           o.timeout,
	}
	deps := login.Deps{
		Clock:     f.Clock,
		Replay:    login.NewFileReplayCache(filepath.Join(state, "replay.json")),
		Audit:     aud,
		Log:       f.Log,
		Status:    f.Streams.Err,
		NoBrowser: o.noBrowser,
	}
	var res *login.Result
	if p.Auth == config.AuthECP {
		res, err = f.loginECP(ctx, p, cfg, deps)
	} else {
		if !o.noBrowser {
			if deps.Opener, err = f.opener(o.browserCommand); err != nil {
				return nil, err
			}
		}
		res, err = login.Login(ctx, cfg, deps)
	}
	if err != nil {
		return nil, fmt.Errorf("login: %w", err)
	}
	role, err := broker.ChooseRole(res.Roles, wantRole, f.picker())
	if err != nil {
		_ = aud.Record("role.rejected", map[string]any{"profile": p.Name, "reason": err.Error(), "assertion_id": res.AssertionID})
		return nil, err
	}
	client := broker.NewSTS(p.Region, p.STSEndpoint, f.HTTP)
	sess, err := broker.Exchange(ctx, client, broker.ExchangeInput{
		Login: res, Role: role, Duration: o.duration, Profile: p.Name,
	}, broker.Deps{Clock: f.Clock, Audit: aud, Status: f.Streams.Err, Log: f.Log})
	if err != nil {
		return nil, explainExchange(err, role.RoleARN)
	}
	return sess, nil
}

// explainExchange turns an STS error into advice; Exchange names the role in
// its own errors, advice gets the role in front.
func explainExchange(err error, roleARN string) error {
	err = broker.Explain(err)
	var adv *broker.AdviceError
	if errors.As(err, &adv) {
		err = fmt.Errorf("assume role %s: %w", roleARN, err)
	}
	return err
}

// idpMetadata loads the profile's IdP metadata (file, or URL with a cache)
// and prints its warnings.
func (f *Factory) idpMetadata(ctx context.Context, p *config.Profile) (*saml.EntityDescriptor, error) {
	cache, err := f.CacheDir()
	if err != nil {
		return nil, err
	}
	res, err := idpmeta.Source{
		URL:      p.IdPMetadataURL,
		File:     p.IdPMetadataFile,
		CacheDir: filepath.Join(cache, "metadata"),
		HTTP:     f.HTTP,
		Clock:    f.Clock,
	}.Load(ctx)
	if err != nil {
		return nil, fmt.Errorf("idp metadata: %w", err)
	}
	for _, w := range res.Warnings {
		fmt.Fprintf(f.Streams.Err, "warning: %s\n", w)
	}
	return res.Descriptor, nil
}
