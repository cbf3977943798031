package login

import (
	"context"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"maps"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/ptsaml/ptsaml/internal/clock"
	"github.com/ptsaml/ptsaml/internal/testing/samltest"
)

// fuzzIdP signs the seeds with a key kept in testdata, so that every fuzz
// worker process (and every later run of the committed corpus) trusts the
// same certificate. It is a test key and signs nothing else.
var fuzzIdP = sync.OnceValues(func() (*samltest.IdP, error) {
	data, err := os.ReadFile("testdata/fuzz-idp.pem")
	if err != nil {
		return nil, err
	}
	idp := &samltest.IdP{EntityID: "https://idp.example.org/saml", SSOURL: "https://idp.example.org/sso"}
	for {
		var block *pem.Block
		block, data = pem.Decode(data)
		if block == nil {
			break
		}
		switch block.Type {
		case "PRIVATE KEY":
			k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
			if err != nil {
				return nil, err
			}
			var ok bool
			if idp.Key, ok = k.(*rsa.PrivateKey); !ok {
				return nil, errors.New("fuzz key is not RSA")
			}
		case "CERTIFICATE":
			if idp.Cert, err = x509.ParseCertificate(block.Bytes); err != nil {
				return nil, err
			}
		}
	}
	if idp.Key == nil || idp.Cert == nil {
		return nil, errors.New("testdata/fuzz-idp.pem needs a PRIVATE KEY and a CERTIFICATE")
	}
	return idp, nil
})

// fuzzSeeds are the responses the fuzz IdP signs: every way of signing, the
// AWS sign-in URL as recipient, and one unsolicited response (valid only
// when idpInitiated). IDs are fixed so the seeds are the same in every
// process.
func fuzzSeeds(f *fixture) []fuzzSeed {
	type variant struct {
		name string
		mod  func(*samltest.Options)
	}
	variants := []variant{
		{"both", func(*samltest.Options) {}},
		{"assertion", func(o *samltest.Options) { o.Sign = samltest.SignAssertion }},
		{"response", func(o *samltest.Options) { o.Sign = samltest.SignResponse }},
		{"signin", func(o *samltest.Options) { o.Recipient, o.Destination = testSignIn, testSignIn }},
		{"nodest", func(o *samltest.Options) { o.Sign, o.Destination = samltest.SignAssertion, "" }},
		{"unsolicited", func(o *samltest.Options) { o.InResponseTo = "" }},
	}
	var out []fuzzSeed
	for _, v := range variants {
		o := f.good(testReqID)
		o.ResponseID, o.AssertionID = "id-fuzz-response-"+v.name, "id-fuzz-assertion-"+v.name
		v.mod(&o)
		out = append(out, fuzzSeed{opts: o, idpInitiated: o.InResponseTo == ""})
	}
	return out
}

type fuzzSeed struct {
	opts         samltest.Options
	idpInitiated bool
	raw          string
	want         *Result
}

func validateForFuzz(f *fixture, raw string, idpInitiated bool) (*Result, error) {
	cfg := f.cfg
	cfg.AllowIdPInitiated = idpInitiated
	reqID := testReqID
	if idpInitiated {
		reqID = ""
	}
	return Validate(context.Background(), raw, cfg, ValidateOptions{
		RequestID: reqID, RelayState: testRelay, WantRelayState: testRelay,
		Clock: f.clk, Replay: &MemoryReplayCache{Clock: f.clk},
	})
}

// FuzzValidate feeds arbitrary SAMLResponse values, or arbitrary XML
// base64-encoded, to Validate. The fuzzer
// cannot sign, so the only assertions the IdP ever signed are the seeds'.
// Properties: Validate never panics, every refusal is a *RejectedError, and
// whatever it accepts says exactly what one of the seeds says (an accepted
// response carrying anything else was not signed by the IdP).
func FuzzValidate(f *testing.F) {
	idp, err := fuzzIdP()
	if err != nil {
		f.Fatalf("fuzz idp: %v", err)
	}
	fx := &fixture{idp: idp, clk: clock.NewFake(testNow)}
	fx.cfg = Config{IDP: idp.Metadata(), SPEntityID: testAudience, ACSURL: testACS, Recipients: []string{testACS, testSignIn}}
	seeds := fuzzSeeds(fx)
	for i := range seeds {
		s := &seeds[i]
		s.raw, err = idp.BuildBase64(s.opts)
		if err != nil {
			f.Fatalf("build seed: %v", err)
		}
		s.want, err = validateForFuzz(fx, s.raw, s.idpInitiated)
		if err != nil {
			f.Fatalf("seed %s refused: %v", s.opts.AssertionID, err)
		}
		xml, err := idp.Build(s.opts)
		if err != nil {
			f.Fatalf("build seed: %v", err)
		}
		f.Add(xml, true, s.idpInitiated)
		// As posted, and with the base64 wrapped as some IdPs do.
		f.Add([]byte(s.raw), false, s.idpInitiated)
		f.Add([]byte(wrap76(s.raw)), false, s.idpInitiated)
	}
	f.Add([]byte(""), false, false)
	f.Add([]byte("%%%not-base64%%%"), false, false)
	f.Add([]byte(`<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol"/>`), true, true)

	// data is the XML (encode) or the form value as posted (!encode).
	f.Fuzz(func(t *testing.T, data []byte, encode, idpInitiated bool) {
		raw := string(data)
		if encode {
			raw = base64.StdEncoding.EncodeToString(data)
		}
		res, err := validateForFuzz(fx, raw, idpInitiated)
		if err != nil {
			var rej *RejectedError
			if !errors.As(err, &rej) {
				t.Fatalf("refusal is not a *RejectedError: %v", err)
			}
			if rej.Reason == "" || strings.ContainsAny(rej.Reason, "\n") {
				t.Fatalf("refusal reason %q is not one line", rej.Reason)
			}
			return
		}
		if res.SAMLResponse != raw {
			t.Fatalf("accepted response does not carry the input as posted")
		}
		for _, s := range seeds {
			if sameResult(res, s.want) {
				return
			}
		}
		t.Fatalf("accepted a response the IdP never signed: %+v", res)
	})
}

// sameResult compares everything a Result reads from the verified assertion.
func sameResult(a, b *Result) bool {
	return a.Issuer == b.Issuer && a.NameID == b.NameID && a.AssertionID == b.AssertionID &&
		a.RoleSessionName == b.RoleSessionName && a.SourceIdentity == b.SourceIdentity &&
		a.IssueInstant.Equal(b.IssueInstant) && a.NotOnOrAfter.Equal(b.NotOnOrAfter) &&
		a.SessionNotOnOrAfter.Equal(b.SessionNotOnOrAfter) && a.SessionDuration == b.SessionDuration &&
		slices.Equal(a.Roles, b.Roles) && maps.EqualFunc(a.Attributes, b.Attributes, slices.Equal)
}

// wrap76 breaks base64 into 76-character lines.
func wrap76(s string) string {
	var b strings.Builder
	for len(s) > 76 {
		b.WriteString(s[:76])
		b.WriteString("\r\n")
		s = s[76:]
	}
	b.WriteString(s)
	return b.String()
}
