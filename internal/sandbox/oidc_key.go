package sandbox

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/go-jose/go-jose/v4"

	"github.com/ptsaml/ptsaml/internal/atomicfile"
)

const oidcKeyFile = "sandbox-oidc-key.pem"

// loadOrCreateOIDCKey returns the issuer's RS256 signing key. With dir == ""
// a fresh key is made for this run only; otherwise it is read from dir, or
// made and written there (0600, directory 0700), so that tokens and the
// JWKS stay valid across restarts, as the IdP key does.
func loadOrCreateOIDCKey(dir string) (*rsa.PrivateKey, error) {
	if dir != "" {
		key, err := readOIDCKey(filepath.Join(dir, oidcKeyFile))
		switch {
		case err == nil:
			return key, nil
		case !errors.Is(err, fs.ErrNotExist):
			return nil, fmt.Errorf("read sandbox oidc key from %s: %w", dir, err)
		}
	}
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, fmt.Errorf("generate sandbox oidc key: %w", err)
	}
	if dir != "" {
		if err := writeOIDCKey(dir, key); err != nil {
			return nil, fmt.Errorf("keep sandbox oidc key in %s: %w", dir, err)
		}
	}
	return key, nil
}

func readOIDCKey(path string) (*rsa.PrivateKey, error) {
	buf, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	b, _ := pem.Decode(buf)
	if b == nil {
		return nil, errors.New("not PEM")
	}
	key, err := x509.ParsePKCS1PrivateKey(b.Bytes)
	if err != nil {
		return nil, fmt.Errorf("parse key: %w", err)
	}
	return key, nil
}

func writeOIDCKey(dir string, key *rsa.PrivateKey) error {
	if err := atomicfile.PrivateDir(dir); err != nil {
		return err
	}
	buf := pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)})
	return atomicfile.Write(filepath.Join(dir, oidcKeyFile), buf, atomicfile.Options{Perm: 0o600})
}

// publicJWK returns the public half of key as an RS256 signing JWK whose
// kid is its RFC 7638 thumbprint (stable for a kept key).
func publicJWK(key *rsa.PrivateKey) (jose.JSONWebKey, error) {
	jwk := jose.JSONWebKey{Key: &key.PublicKey, Algorithm: string(jose.RS256), Use: "sig"}
	sum, err := jwk.Thumbprint(crypto.SHA256)
	if err != nil {
		return jose.JSONWebKey{}, fmt.Errorf("jwk thumbprint: %w", err)
	}
	jwk.KeyID = base64.RawURLEncoding.EncodeToString(sum)
	return jwk, nil
}
