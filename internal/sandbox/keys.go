package sandbox

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"math/big"
	"os"
	"path/filepath"
	"time"

	"github.com/ptsaml/ptsaml/internal/atomicfile"
)

const (
	keyFile  = "sandbox-idp-key.pem"
	certFile = "sandbox-idp-cert.pem"
	certLife = 10 * 365 * 24 * time.Hour
)

// loadOrCreateKey returns the IdP signing key and its self-signed
// certificate. With dir == "" a fresh pair is made for this run only;
// otherwise the pair is read from dir, or made and written there (key 0600,
// directory 0700) so that the "provider metadata" registered on the AWS side
// stays valid across restarts. A certificate that has expired, or expires
// within 30 days, is replaced.
func loadOrCreateKey(dir string, now time.Time) (*rsa.PrivateKey, *x509.Certificate, error) {
	if dir != "" {
		key, cert, err := readKeyPair(dir)
		switch {
		case err == nil && now.Add(30*24*time.Hour).Before(cert.NotAfter):
			return key, cert, nil
		case err != nil && !errors.Is(err, fs.ErrNotExist):
			return nil, nil, fmt.Errorf("read sandbox idp key from %s: %w", dir, err)
		}
	}
	key, cert, err := newKeyPair(now)
	if err != nil {
		return nil, nil, err
	}
	if dir != "" {
		if err := writeKeyPair(dir, key, cert); err != nil {
			return nil, nil, fmt.Errorf("keep sandbox idp key in %s: %w", dir, err)
		}
	}
	return key, cert, nil
}

func newKeyPair(now time.Time) (*rsa.PrivateKey, *x509.Certificate, error) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, nil, fmt.Errorf("generate sandbox idp key: %w", err)
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 62))
	if err != nil {
		return nil, nil, fmt.Errorf("generate certificate serial: %w", err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		Subject: pkix.Name{
			CommonName:   "ptsaml sandbox IdP",
			Organization: []string{Banner},
		},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(certLife),
		KeyUsage:              x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, nil, fmt.Errorf("self-sign sandbox idp certificate: %w", err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, nil, fmt.Errorf("parse sandbox idp certificate: %w", err)
	}
	return key, cert, nil
}

func readKeyPair(dir string) (*rsa.PrivateKey, *x509.Certificate, error) {
	keyPEM, err := os.ReadFile(filepath.Join(dir, keyFile))
	if err != nil {
		return nil, nil, err
	}
	certPEM, err := os.ReadFile(filepath.Join(dir, certFile))
	if err != nil {
		return nil, nil, err
	}
	kb, _ := pem.Decode(keyPEM)
	cb, _ := pem.Decode(certPEM)
	if kb == nil || cb == nil {
		return nil, nil, errors.New("not PEM")
	}
	key, err := x509.ParsePKCS1PrivateKey(kb.Bytes)
	if err != nil {
		return nil, nil, fmt.Errorf("parse key: %w", err)
	}
	cert, err := x509.ParseCertificate(cb.Bytes)
	if err != nil {
		return nil, nil, fmt.Errorf("parse certificate: %w", err)
	}
	pub, ok := cert.PublicKey.(*rsa.PublicKey)
	if !ok || !pub.Equal(&key.PublicKey) {
		return nil, nil, errors.New("certificate does not match key")
	}
	return key, cert, nil
}

func writeKeyPair(dir string, key *rsa.PrivateKey, cert *x509.Certificate) error {
	if err := atomicfile.PrivateDir(dir); err != nil {
		return err
	}
	keyPEM := pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)})
	certPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: cert.Raw})
	if err := atomicfile.Write(filepath.Join(dir, keyFile), keyPEM, atomicfile.Options{Perm: 0o600}); err != nil {
		return err
	}
	return atomicfile.Write(filepath.Join(dir, certFile), certPEM, atomicfile.Options{Perm: 0o644})
}
