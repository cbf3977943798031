package samltest

import (
	"bytes"
	"testing"
	"time"
)

func TestBuildSwitches(t *testing.T) {
	now := time.Date(2026, 11, 29, 18, 0, 0, 0, time.UTC)
	idp, err := NewIdP("https://idp.example.org", "https://idp.example.org/sso", now)
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name       string
		o          Options
		assertions int
		signatures int
		prefix     string
	}{
		{name: "default signs both", o: Options{Now: now}, assertions: 1, signatures: 2},
		{name: "assertion only", o: Options{Now: now, Sign: SignAssertion}, assertions: 1, signatures: 1},
		{name: "unsigned", o: Options{Now: now, Sign: SignNone}, assertions: 1, signatures: 0},
		{name: "two assertions", o: Options{Now: now, TwoAssertions: true}, assertions: 2, signatures: 3},
		{name: "advice", o: Options{Now: now, AdviceAssertion: true, Sign: SignNone}, assertions: 2},
		{name: "doctype", o: Options{Now: now, Doctype: true}, assertions: 1, signatures: 2, prefix: "<!DOCTYPE"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			out, err := idp.Build(c.o)
			if err != nil {
				t.Fatal(err)
			}
			if n := bytes.Count(out, []byte("<saml:Assertion ")); n != c.assertions {
				t.Errorf("assertions = %d, want %d", n, c.assertions)
			}
			if n := bytes.Count(out, []byte("<ds:Signature ")); n != c.signatures {
				t.Errorf("signatures = %d, want %d", n, c.signatures)
			}
			if !bytes.HasPrefix(out, []byte(c.prefix)) {
				t.Errorf("output does not start with %q", c.prefix)
			}
		})
	}
}
