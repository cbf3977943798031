package integration_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials/endpointcreds"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/ptsaml/ptsaml/internal/sandbox"
)

// joinJobEnv, when set, makes TestAuditJoinJobHelper act as the job: it puts
// one object to the sandbox's S3 with the credentials of its endpoint and
// writes its PTSAML_JOB_ID to the file the variable names.
const joinJobEnv = "PTSAML_TEST_JOIN_JOB"

func TestAuditJoinJobHelper(t *testing.T) {
	out := os.Getenv(joinJobEnv)
	if out == "" {
		t.Skip("runs only as the job of TestAuditRecordsJoinCloudTrail")
	}
	creds := endpointcreds.New(os.Getenv("AWS_CONTAINER_CREDENTIALS_FULL_URI"), func(o *endpointcreds.Options) {
		o.AuthorizationToken = os.Getenv("AWS_CONTAINER_AUTHORIZATION_TOKEN")
	})
	client := s3.New(s3.Options{
		Region: "us-east-1", Credentials: aws.NewCredentialsCache(creds),
		BaseEndpoint: aws.String(os.Getenv("PTSAML_TEST_S3")), UsePathStyle: true,
	})
	_, err := client.PutObject(context.Background(), &s3.PutObjectInput{
		Bucket: aws.String(sandbox.DataBucket), Key: aws.String("join/probe"), Body: strings.NewReader("x"),
	})
	if err != nil {
		t.Fatalf("put: %v", err)
	}
	if err := os.WriteFile(out, []byte(os.Getenv("PTSAML_JOB_ID")), 0o600); err != nil {
		t.Fatal(err)
	}
}

// Every audit record of a login and a job carries what CloudTrail can be
// joined on, and the values are the ones AWS (here the sandbox) saw: the
// access key ID of the job's S3 call, the session name and SourceIdentity.
func TestAuditRecordsJoinCloudTrail(t *testing.T) {
	e := newEnv(t, sandbox.Options{})
	e.browser.setUser("bob") // bob's assertion carries a SourceIdentity
	if r := e.run("login", "--role", sandbox.TrainRoleARN); r.code != 0 {
		t.Fatalf("login: exit %d\n%s", r.code, r.stderr)
	}
	idFile := filepath.Join(e.dir, "job-id")
	e.environ = []string{"PATH=" + os.Getenv("PATH"), joinJobEnv + "=" + idFile, "PTSAML_TEST_S3=" + e.sandbox.S3Endpoint()}
	if r := e.run("exec", "--", os.Args[0], "-test.run=^TestAuditJoinJobHelper$", "-test.count=1"); r.code != 0 {
		t.Fatalf("job: exit %d\n%s", r.code, r.stderr)
	}
	jobID := strings.TrimSpace(readFile(t, idFile))
	if jobID == "" {
		t.Fatal("the job saw no PTSAML_JOB_ID")
	}
	recs, _ := e.sandbox.S3Requests()
	if len(recs) != 1 || recs[0].Verdict != "ok" {
		t.Fatalf("sandbox S3 records = %+v, want one accepted PutObject", recs)
	}
	keyID := recs[0].AccessKeyID

	byEvent := map[string]map[string]any{}
	for _, line := range strings.Split(strings.TrimSpace(readFile(t, e.statePath("audit.log"))), "\n") {
		var rec map[string]any
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatalf("audit line %q: %v", line, err)
		}
		byEvent[rec["event"].(string)] = rec
	}
	want := map[string]map[string]string{
		"assertion.accepted": {"source_identity": "bob", "name_id": "", "issuer": "", "assertion_id": ""},
		"role.assumed": {"source_identity": "bob", "access_key_id": keyID, "role_arn": sandbox.TrainRoleARN,
			"role_session_name": "", "assumed_role_arn": "", "name_id": "", "issuer": "", "assertion_id": ""},
		"job.start": {"job_id": jobID, "access_key_id": keyID, "source_identity": "bob", "role_session_name": "",
			"assertion_id": "", "name_id": ""},
		"job.end": {"job_id": jobID, "access_key_id": keyID, "role_arn": sandbox.TrainRoleARN},
	}
	for event, fields := range want {
		rec := byEvent[event]
		if rec == nil {
			t.Errorf("no %s record", event)
			continue
		}
		for k, v := range fields {
			got, _ := rec[k].(string)
			if got == "" || (v != "" && got != v) {
				t.Errorf("%s.%s = %q, want %q", event, k, got, v)
			}
		}
	}
	if r := e.run("logout"); r.code != 0 {
		t.Fatalf("logout: exit %d\n%s", r.code, r.stderr)
	}
	for _, line := range strings.Split(strings.TrimSpace(readFile(t, e.statePath("audit.log"))), "\n") {
		var rec map[string]any
		if json.Unmarshal([]byte(line), &rec) == nil && rec["event"] == "logout" {
			byEvent["logout"] = rec
		}
	}
	if got := byEvent["logout"]["access_key_id"]; got != keyID {
		t.Errorf("logout.access_key_id = %v, want %s (the removed credentials stay valid at AWS)", got, keyID)
	}
	// The same assertion and session throughout.
	for _, k := range []string{"assertion_id", "name_id", "issuer"} {
		if a, b := byEvent["assertion.accepted"][k], byEvent["job.start"][k]; a != b {
			t.Errorf("%s differs: accepted %v, job.start %v", k, a, b)
		}
	}
	if a, b := byEvent["role.assumed"]["role_session_name"], byEvent["job.start"]["role_session_name"]; a != b {
		t.Errorf("role_session_name differs: role.assumed %v, job.start %v", a, b)
	}
	if arn, _ := byEvent["role.assumed"]["assumed_role_arn"].(string); !strings.HasSuffix(arn, "/"+byEvent["role.assumed"]["role_session_name"].(string)) {
		t.Errorf("assumed_role_arn %q does not end in the role session name", arn)
	}
}
