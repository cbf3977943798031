package login

import (
	"strings"
	"testing"
)

func TestACSProtectionTerminalCap(t *testing.T) {
	r := startLogin(t, nil, nil)
	for range 40 {
		post(t, r.acs, junk(), nil)
	}
	r.finish(t)
	out := r.status.String()
	if n := strings.Count(out, "Refused a SAML response"); n != shownRefusals {
		t.Errorf("%d refusals printed, want %d:\n%s", n, shownRefusals, out)
	}
	if !strings.Contains(out, "35 more responses were refused; see the audit log") || r.rejected() != 40 {
		t.Errorf("no summary, or %d audited:\n%s", r.rejected(), out)
	}
}
