package broker

import (
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"
)

var sessionNameRE = regexp.MustCompile(`^[\w+=,.@-]{2,64}$`)

func TestWebClaimsSessionName(t *testing.T) {
	long := strings.Repeat("very-long-repository-name-", 4)
	tests := []struct {
		name   string
		claims map[string]any
		want   string
		wantCI map[string]string
	}{
		{name: "github", claims: githubClaimSet(), want: "gh-ptsaml-ptsaml-7412345678-2"},
		{name: "github without attempt", claims: map[string]any{"iss": githubIss, "sub": githubSub,
			"repository": "org/repo", "run_id": "42"}, want: "gh-org-repo-42",
			wantCI: map[string]string{"ci": "github", "repository": "org/repo", "run_id": "42"}},
		{name: "github numeric run id", claims: map[string]any{"repository": "org/repo", "run_id": 98765432101, "run_attempt": 1},
			want: "gh-org-repo-98765432101-1"},
		{name: "github long repository keeps the ids", claims: map[string]any{"repository": "org/" + long, "run_id": "7412345678", "run_attempt": "13"},
			want: ("gh-org-" + long)[:64-len("-7412345678-13")] + "-7412345678-13"},
		{name: "gitlab", claims: map[string]any{"iss": "https://gitlab.com", "sub": "project_path:grp/sub/proj:ref_type:branch:ref:main",
			"project_path": "grp/sub/proj", "pipeline_id": "1234567", "job_id": "99", "ref": "main", "user_login": "alice", "namespace_path": "grp/sub"},
			want: "gl-grp-sub-proj-1234567",
			wantCI: map[string]string{"ci": "gitlab", "project_path": "grp/sub/proj", "pipeline_id": "1234567", "job_id": "99",
				"ref": "main", "user_login": "alice", "namespace_path": "grp/sub"}},
		{name: "generic kubernetes", claims: map[string]any{"iss": "https://oidc.eks.eu-west-1.amazonaws.com/id/ABC", "sub": "system:serviceaccount:train:runner"},
			want: "oidc-system-serviceaccount-train-runner"},
		{name: "generic sanitised", claims: map[string]any{"sub": "user #1 <a@b.c> é+=,."}, want: "oidc-user--1--a@b.c---+=,."},
		{name: "generic truncated", claims: map[string]any{"sub": strings.Repeat("s", 100)}, want: "oidc-" + strings.Repeat("s", 59)},
		{name: "generic without sub", claims: map[string]any{"iss": "https://issuer.example"}, want: "oidc"},
		{name: "repository without run_id is generic", claims: map[string]any{"sub": "x", "repository": "org/repo"}, want: "oidc-x"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := parseWebClaims(makeJWT(t, tt.claims))
			if err != nil {
				t.Fatalf("parseWebClaims: %v", err)
			}
			if c.SessionName != tt.want {
				t.Errorf("RoleSessionName = %q, want %q", c.SessionName, tt.want)
			}
			if !sessionNameRE.MatchString(c.SessionName) {
				t.Errorf("RoleSessionName %q is not 2..64 of [\\w+=,.@-]", c.SessionName)
			}
			if tt.wantCI != nil && fmt.Sprint(c.CI) != fmt.Sprint(tt.wantCI) {
				t.Errorf("CI = %v, want %v", c.CI, tt.wantCI)
			}
		})
	}
}

func TestWebClaimsStandard(t *testing.T) {
	claims := githubClaimSet()
	claims["aud"] = []string{"sts.amazonaws.com", "other"}
	claims["workflow"] = strings.Repeat("w", 300)
	c, err := parseWebClaims("  " + makeJWT(t, claims) + "\n")
	if err != nil {
		t.Fatalf("parseWebClaims: %v", err)
	}
	if c.Issuer != githubIss || c.Subject != githubSub || fmt.Sprint(c.Audience) != "[sts.amazonaws.com other]" ||
		!c.Expiry.Equal(t0.Add(5*time.Minute)) {
		t.Errorf("claims = %+v", c)
	}
	if len(c.CI["workflow"]) != maxClaimLen {
		t.Errorf("workflow claim kept %d bytes, want %d", len(c.CI["workflow"]), maxClaimLen)
	}
}

func TestTruncateRuneBoundary(t *testing.T) {
	if got := truncate("abé", 3); got != "ab" {
		t.Errorf("truncate = %q, want %q", got, "ab")
	}
}
