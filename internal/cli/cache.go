package cli

import (
	"github.com/spf13/cobra"

	"github.com/ptsaml/ptsaml/internal/config"
	"github.com/ptsaml/ptsaml/pkg/broker"
)

// cachedSession reads the profile's cached session from the store chosen by
// flag (storeKind) or profile. A missing session is broker.ErrNoSession.
func (f *Factory) cachedSession(cmd *cobra.Command, p *config.Profile, storeKind string) (*broker.Session, error) {
	cache, err := f.cache(p, storeKind)
	if err != nil {
		return nil, err
	}
	return cache.Load(cmd.Context(), p.Name)
}

func (f *Factory) cache(p *config.Profile, storeKind string) (broker.Cache, error) {
	if storeKind == "" {
		storeKind = p.Store
	}
	store, err := f.Store(storeKind)
	if err != nil {
		return broker.Cache{}, err
	}
	return broker.Cache{Store: store, Clock: f.Clock}, nil
}
