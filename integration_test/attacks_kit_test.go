package integration_test

import (
	"bytes"
	"encoding/base64"
	"net/http"
	"net/url"
	"strings"

	"github.com/beevik/etree"

	"github.com/ptsaml/ptsaml/internal/testing/samltest"
)

// attack is one hostile POST to the ACS of a waiting login.
type attack struct {
	name string
	// code is the cause the refusal must carry (RejectedError.Code, as the
	// audit line records it); "" accepts any specific cause but the generic
	// "invalid".
	code string
	// build returns the POST for the login request req.
	build func(k *attackKit, req *samltest.AuthnRequest) (*http.Request, error)
}

// attackKit builds hostile responses with the sandbox IdP's key and with a
// foreign one.
type attackKit struct {
	fg                        *forger
	foreignKeyCert            *samltest.IdP // a key and certificate the IdP metadata does not name
	genuineNameID, evilNameID string
}

func (k *attackKit) options(req *samltest.AuthnRequest) samltest.Options {
	o := k.fg.goodOptions(req)
	o.NameID = k.genuineNameID
	return o
}

// form posts samlResponse (already base64) with the request's RelayState.
func (k *attackKit) form(req *samltest.AuthnRequest, samlResponse string) (*http.Request, error) {
	return k.post("application/x-www-form-urlencoded",
		url.Values{"SAMLResponse": {samlResponse}, "RelayState": {req.RelayState}}.Encode())
}

func (k *attackKit) post(contentType, body string) (*http.Request, error) {
	r, err := http.NewRequest(http.MethodPost, k.fg.e.acsURL, strings.NewReader(body))
	if err != nil {
		return nil, err
	}
	r.Header.Set("Content-Type", contentType)
	return r, nil
}

func (k *attackKit) xml(req *samltest.AuthnRequest, raw []byte, err error) (*http.Request, error) {
	if err != nil {
		return nil, err
	}
	return k.form(req, base64.StdEncoding.EncodeToString(raw))
}

// signed is a response to req, changed by mod before signing.
func (k *attackKit) signed(req *samltest.AuthnRequest, mod func(*samltest.Options)) ([]byte, error) {
	o := k.options(req)
	if mod != nil {
		mod(&o)
	}
	return k.fg.idp.Build(o)
}

// tampered is a response to req signed as sign says, then changed by fn
// (outside the signatures).
func (k *attackKit) tampered(req *samltest.AuthnRequest, sign samltest.Sign, fn func(*etree.Element) error) ([]byte, error) {
	raw, err := k.signed(req, func(o *samltest.Options) { o.Sign = sign })
	if err != nil {
		return nil, err
	}
	return samltest.Rewrite(raw, fn)
}

// mutated is a response to req changed by fn and then signed as sign says.
func (k *attackKit) mutated(req *samltest.AuthnRequest, sign samltest.Sign, fn func(*etree.Element) error) ([]byte, error) {
	o := k.options(req)
	o.Sign = sign
	return k.fg.idp.BuildMutated(o, fn)
}

func xsw(n int, sign samltest.Sign) func(*attackKit, *samltest.AuthnRequest) (*http.Request, error) {
	return func(k *attackKit, req *samltest.AuthnRequest) (*http.Request, error) {
		raw, err := k.signed(req, func(o *samltest.Options) { o.Sign = sign })
		if err != nil {
			return nil, err
		}
		raw, err = samltest.XSW(raw, n, k.evilNameID)
		return k.xml(req, raw, err)
	}
}

func signedWith(mod func(*samltest.Options)) func(*attackKit, *samltest.AuthnRequest) (*http.Request, error) {
	return func(k *attackKit, req *samltest.AuthnRequest) (*http.Request, error) {
		raw, err := k.signed(req, mod)
		return k.xml(req, raw, err)
	}
}

func tamperedWith(sign samltest.Sign, fn func(*attackKit, *etree.Element) error) func(*attackKit, *samltest.AuthnRequest) (*http.Request, error) {
	return func(k *attackKit, req *samltest.AuthnRequest) (*http.Request, error) {
		raw, err := k.tampered(req, sign, func(el *etree.Element) error { return fn(k, el) })
		return k.xml(req, raw, err)
	}
}

func mutatedWith(sign samltest.Sign, fn func(*attackKit, *samltest.AuthnRequest, *etree.Element) error) func(*attackKit, *samltest.AuthnRequest) (*http.Request, error) {
	return func(k *attackKit, req *samltest.AuthnRequest) (*http.Request, error) {
		raw, err := k.mutated(req, sign, func(el *etree.Element) error { return fn(k, req, el) })
		return k.xml(req, raw, err)
	}
}

func prologue(p string, nameIDEntity bool) func(*attackKit, *samltest.AuthnRequest) (*http.Request, error) {
	return func(k *attackKit, req *samltest.AuthnRequest) (*http.Request, error) {
		raw, err := k.signed(req, nil)
		if err != nil {
			return nil, err
		}
		if nameIDEntity {
			raw = bytes.Replace(raw, []byte(">"+k.genuineNameID+"<"), []byte(">&x;<"), 1)
		}
		return k.xml(req, samltest.WithPrologue(raw, p), nil)
	}
}

// replayedAssertionID is the ID of an assertion accepted once before the
// attacks start.
const replayedAssertionID = "id-attack-accepted-once"
