package credserver

import (
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/credentials/endpointcreds"
)

// The Go SDK's own container-credentials client reads what we serve.
func TestAWSSDKReadsCredentials(t *testing.T) {
	s, _, _ := start(t, Options{Clock: wallClock{}})
	want := testCreds(0, time.Now().Add(time.Hour).Truncate(time.Second))
	s.Update(want)
	p := endpointcreds.New(s.URL(), func(o *endpointcreds.Options) { o.AuthorizationToken = s.Token() })
	got, err := p.Retrieve(t.Context())
	if err != nil {
		t.Fatalf("Retrieve: %v", err)
	}
	if got.AccessKeyID != want.AccessKeyID || got.SecretAccessKey != want.SecretAccessKey ||
		got.SessionToken != want.SessionToken || !got.CanExpire || !got.Expires.Equal(want.Expiration) {
		t.Errorf("SDK got %+v, want %+v", got, want)
	}

	wrong := endpointcreds.New(s.URL(), func(o *endpointcreds.Options) { o.AuthorizationToken = "wrong" })
	if _, err := wrong.Retrieve(t.Context()); err == nil {
		t.Error("the SDK got credentials with a wrong token")
	}
}
