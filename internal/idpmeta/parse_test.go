package idpmeta

import (
	"strings"
	"testing"
	"time"
)

func TestParse(t *testing.T) {
	valid := newCert(t, "idp", testNow.AddDate(1, 0, 0))
	tests := []struct {
		name       string
		xml        string
		wantEntity string
		wantErr    string
	}{
		{"entity descriptor", entity("https://idp.example.com/md", keyDescriptor("signing", valid)), "https://idp.example.com/md", ""},
		{"key without use", entity("urn:idp", keyDescriptor("", valid)), "urn:idp", ""},
		{"entities with one idp and an sp", entities(spEntity("urn:sp"), entity("urn:idp", keyDescriptor("signing", valid))), "urn:idp", ""},
		{"nested entities", entities(entities(entity("urn:nested", keyDescriptor("", valid)))), "urn:nested", ""},
		{"entities with two idps", entities(entity("urn:a", keyDescriptor("", valid)), entity("urn:b", keyDescriptor("", valid))), "",
			"holds 2 IdPs (urn:a, urn:b)"},
		{"entities without idp", entities(spEntity("urn:sp")), "", "holds no IdP entity"},
		{"sp metadata", spEntity("urn:sp"), "", `entity "urn:sp" has no IDPSSODescriptor`},
		{"encryption key only", entity("urn:idp", keyDescriptor("encryption", valid)), "", "no signing certificate"},
		{"no keys", entity("urn:idp"), "", "no signing certificate"},
		{"bad base64", entity("urn:idp", keyDescriptor("signing", "!!!")), "", "parse idp signing certificate"},
		{"not a certificate", entity("urn:idp", keyDescriptor("signing", "aGVsbG8=")), "", "parse idp signing certificate"},
		{"html page", "<html><body>login</body></html>", "", "root element is html"},
		{"empty", "", "", "no XML element found"},
		{"truncated", `<EntityDescriptor xmlns="urn:oasis:names:tc:SAML:2.0:metadata" entityID="x"><IDPSSODescriptor>`, "", "parse idp metadata"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ed, err := Parse([]byte(tt.xml))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("Parse error = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if ed.EntityID != tt.wantEntity {
				t.Errorf("EntityID = %q, want %q", ed.EntityID, tt.wantEntity)
			}
		})
	}
}

func TestCertWarnings(t *testing.T) {
	tests := []struct {
		name string
		keys []string
		want []string
	}{
		{"valid for a year", []string{keyDescriptor("signing", newCert(t, "idp", testNow.AddDate(1, 0, 0)))}, nil},
		{"expires in 10 days", []string{keyDescriptor("signing", newCert(t, "idp.example.com", testNow.AddDate(0, 0, 10)))},
			[]string{"IdP signing certificate CN=idp.example.com expires on 2026-12-09 (in 10 days): ask the IdP admin for the new metadata"}},
		{"expires in 30 days", []string{keyDescriptor("", newCert(t, "idp", testNow.Add(ExpiryWarning)))},
			[]string{"IdP signing certificate CN=idp expires on 2026-12-29 (in 30 days)"}},
		{"expires in 31 days", []string{keyDescriptor("", newCert(t, "idp", testNow.Add(ExpiryWarning+24*time.Hour)))}, nil},
		{"expires later today", []string{keyDescriptor("signing", newCert(t, "idp", testNow.Add(time.Hour)))},
			[]string{"expires on 2026-11-29 (today)"}},
		{"expired", []string{keyDescriptor("signing", newCert(t, "old", testNow.AddDate(0, 0, -3)))},
			[]string{"IdP signing certificate CN=old expired on 2026-11-26 (3 days ago): ask the IdP admin for the new metadata"}},
		{"encryption cert ignored", []string{
			keyDescriptor("signing", newCert(t, "sign", testNow.AddDate(1, 0, 0))),
			keyDescriptor("encryption", newCert(t, "enc", testNow.AddDate(0, 0, 2))),
		}, nil},
		{"rollover: old and new", []string{
			keyDescriptor("signing", newCert(t, "old", testNow.AddDate(0, 0, 5))),
			keyDescriptor("signing", newCert(t, "new", testNow.AddDate(2, 0, 0))),
		}, []string{"CN=old expires on 2026-12-04 (in 5 days)"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ed, err := Parse([]byte(entity("urn:idp", tt.keys...)))
			if err != nil {
				t.Fatal(err)
			}
			got := CertWarnings(ed, testNow)
			if len(got) != len(tt.want) {
				t.Fatalf("CertWarnings = %q, want %d lines like %q", got, len(tt.want), tt.want)
			}
			for i := range got {
				if !strings.Contains(got[i], tt.want[i]) {
					t.Errorf("warning %q does not contain %q", got[i], tt.want[i])
				}
			}
		})
	}
}
