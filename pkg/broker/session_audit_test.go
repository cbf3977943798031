package broker

import (
	"fmt"
	"testing"
	"time"
)

// Every record a session appears on (role.assumed, job.start, refresh,
// logout) carries the same join fields, the CI job's facts included, and
// never a secret.
func TestSessionAuditFields(t *testing.T) {
	s := &Session{AccessKeyID: "ASIAX", SecretAccessKey: "secret-key", SessionToken: "session-token",
		Expiration: time.Date(2026, 11, 29, 19, 0, 0, 0, time.UTC), Profile: "ci",
		RoleARN: "arn:aws:iam::1:role/R", AssumedRoleARN: "arn:aws:sts::1:assumed-role/R/s", RoleSessionName: "s",
		Issuer: "https://token.actions.githubusercontent.com", NameID: "repo:o/r:ref:refs/heads/main",
		CI: map[string]string{"run_id": "7"}}
	got := fmt.Sprint(s.AuditFields())
	want := fmt.Sprint(map[string]any{"profile": "ci", "role_arn": "arn:aws:iam::1:role/R",
		"assumed_role_arn": "arn:aws:sts::1:assumed-role/R/s", "role_session_name": "s", "access_key_id": "ASIAX",
		"expiration": "2026-11-29T19:00:00Z", "issuer": "https://token.actions.githubusercontent.com",
		"name_id": "repo:o/r:ref:refs/heads/main", "ci": map[string]string{"run_id": "7"}})
	if got != want {
		t.Errorf("AuditFields = %s\nwant %s", got, want)
	}
}
