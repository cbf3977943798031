package integration_test

import (
	"strings"
	"testing"

	"github.com/ptsaml/ptsaml/internal/sandbox"
)

func TestRoleChoice(t *testing.T) {
	const readOnly = "arn:aws:iam::123456789012:role/ReadOnlyRole"
	tests := []struct {
		name     string
		user     string
		args     []string
		wantCode int
		wantErr  []string // substrings of stderr
		wantRole string
	}{
		{name: "bob picks a role by flag", user: "bob", args: []string{"--role", readOnly}, wantRole: readOnly},
		{name: "bob without a choice and no terminal", user: "bob", args: []string{"--role", ""},
			wantCode: 1, wantErr: []string{trainRole, readOnly, "--role"}},
		{name: "alice asks for a role she does not have", user: "alice", args: []string{"--role", readOnly},
			wantCode: 1, wantErr: []string{readOnly, trainRole}},
		{name: "carol has no role", user: "carol",
			wantCode: 1, wantErr: []string{"https://aws.amazon.com/SAML/Attributes/Role"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, sandbox.Options{})
			if tc.args != nil && tc.args[1] == "" {
				// no default role in the profile either
				e.run("configure", "--profile", "sandbox", "--role", "")
				tc.args = nil
			}
			e.browser.setUser(tc.user)
			r := e.run(append([]string{"login"}, tc.args...)...)
			if r.code != tc.wantCode {
				t.Fatalf("exit %d, want %d\n%s", r.code, tc.wantCode, r.stderr)
			}
			for _, s := range tc.wantErr {
				if !strings.Contains(r.stderr, s) {
					t.Errorf("stderr lacks %q:\n%s", s, r.stderr)
				}
			}
			st := e.run("status", "--output", "json")
			if tc.wantCode != 0 {
				if st.code != 4 {
					t.Fatalf("a failed login must cache nothing; status exit %d\n%s", st.code, st.stdout)
				}
				if e.sandbox.STSCalls() != 0 {
					t.Fatalf("STS calls = %d after a refused role choice", e.sandbox.STSCalls())
				}
				if ev := auditEvents(t, e); ev["role.rejected"]+ev["assertion.rejected"] != 1 {
					t.Fatalf("audit events = %v, want one refusal", ev)
				}
				return
			}
			if !strings.Contains(st.stdout, tc.wantRole) {
				t.Fatalf("status = %s, want role %s", st.stdout, tc.wantRole)
			}
		})
	}
}
