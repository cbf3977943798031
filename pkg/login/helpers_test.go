package login

import (
	"sync"
	"testing"
	"time"

	"github.com/ptsaml/ptsaml/internal/clock"
	"github.com/ptsaml/ptsaml/internal/testing/samltest"
	"github.com/ptsaml/ptsaml/internal/testing/syncbuf"
)

var (
	testNow  = time.Date(2026, 11, 29, 18, 0, 0, 0, time.UTC)
	testKeys = sync.OnceValues(func() (*samltest.IdP, error) {
		return samltest.NewIdP("https://idp.example.org/saml", "https://idp.example.org/sso", testNow)
	})
)

const (
	testRole     = "arn:aws:iam::123456789012:role/TrainRole"
	testProvider = "arn:aws:iam::123456789012:saml-provider/ptsaml-sandbox"
	testSignIn   = "https://signin.aws.amazon.com/saml"
	testAudience = "urn:amazon:webservices"
)

type fixture struct {
	idp *samltest.IdP
	clk *clock.Fake
	cfg Config
}

func newFixture(t *testing.T, acsURL string) *fixture {
	t.Helper()
	idp, err := testKeys()
	if err != nil {
		t.Fatalf("idp: %v", err)
	}
	return &fixture{
		idp: idp,
		clk: clock.NewFake(testNow),
		cfg: Config{
			IDP:        idp.Metadata(),
			SPEntityID: testAudience,
			ACSURL:     acsURL,
			Recipients: []string{acsURL, testSignIn},
		},
	}
}

// good is a response that must be accepted for request id.
func (f *fixture) good(id string) samltest.Options {
	return samltest.Options{
		Now:                 f.clk.Now(),
		InResponseTo:        id,
		Destination:         f.cfg.ACSURL,
		Recipient:           f.cfg.ACSURL,
		Roles:               []string{testRole + "," + testProvider},
		SessionDuration:     "3600",
		SourceIdentity:      "alice",
		SessionNotOnOrAfter: f.clk.Now().Add(8 * time.Hour),
	}
}

func (f *fixture) build(t *testing.T, o samltest.Options) string {
	t.Helper()
	b, err := f.idp.BuildBase64(o)
	if err != nil {
		t.Fatalf("build response: %v", err)
	}
	return b
}

// recorder is an Auditor that keeps events.
type recorder struct {
	mu     sync.Mutex
	events []event
}

type event struct {
	name   string
	fields map[string]any
}

func (r *recorder) Record(name string, fields map[string]any) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events = append(r.events, event{name, fields})
	return nil
}

func (r *recorder) find(name string) []event {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []event
	for _, e := range r.events {
		if e.name == name {
			out = append(out, e)
		}
	}
	return out
}

type syncBuffer = syncbuf.Buffer
