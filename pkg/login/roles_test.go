package login

import (
	"strings"
	"testing"
)

func TestParseRole(t *testing.T) {
	want := RolePair{RoleARN: testRole, PrincipalARN: testProvider}
	cases := []struct {
		name  string
		value string
		ok    bool
	}{
		{name: "role first", value: testRole + "," + testProvider, ok: true},
		{name: "provider first", value: testProvider + "," + testRole, ok: true},
		{name: "spaces around", value: " " + testRole + " , " + testProvider + " ", ok: true},
		{name: "govcloud", value: "arn:aws-us-gov:iam::123456789012:role/R,arn:aws-us-gov:iam::123456789012:saml-provider/P", ok: true},
		{name: "two roles", value: testRole + "," + testRole},
		{name: "one part", value: testRole},
		{name: "three parts", value: testRole + "," + testProvider + "," + testRole},
		{name: "short account", value: "arn:aws:iam::1234:role/R," + testProvider},
		{name: "not iam", value: "arn:aws:s3:::bucket," + testProvider},
		{name: "role name of 512", value: "arn:aws:iam::123456789012:role/" + strings.Repeat("r", 512) + "," + testProvider, ok: true},
		{name: "role name of 513", value: "arn:aws:iam::123456789012:role/" + strings.Repeat("r", 513) + "," + testProvider},
		{name: "provider name of 129", value: testRole + ",arn:aws:iam::123456789012:saml-provider/" + strings.Repeat("p", 129)},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, ok := ParseRole(c.value)
			if ok != c.ok {
				t.Fatalf("ParseRole(%q) ok = %v, want %v", c.value, ok, c.ok)
			}
			if ok && c.name != "govcloud" && !strings.HasPrefix(c.name, "role name") && got != want {
				t.Errorf("ParseRole(%q) = %+v, want %+v", c.value, got, want)
			}
		})
	}
}
