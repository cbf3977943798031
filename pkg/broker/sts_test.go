package broker

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

// recordingTransport answers every request with a canned STS success and
// remembers where it was sent: it stands in for AWS's public endpoints.
type recordingTransport struct {
	mu   sync.Mutex
	reqs []*http.Request
}

func (rt *recordingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	rt.mu.Lock()
	rt.reqs = append(rt.reqs, r)
	rt.mu.Unlock()
	body := stsSuccess(t0.Add(time.Hour)).Body
	return &http.Response{
		StatusCode: http.StatusOK, Header: http.Header{"Content-Type": {"text/xml"}},
		Body: io.NopCloser(bytes.NewBufferString(body)), ContentLength: int64(len(body)), Request: r,
	}, nil
}

func TestNewSTSEndpoint(t *testing.T) {
	tests := []struct {
		region, endpoint string
		wantURL          string
	}{
		{"", "", "https://sts.us-east-1.amazonaws.com/"},
		{"us-east-1", "", "https://sts.us-east-1.amazonaws.com/"},
		{"eu-central-1", "", "https://sts.eu-central-1.amazonaws.com/"},
		{"us-gov-west-1", "", "https://sts.us-gov-west-1.amazonaws.com/"},
		{"cn-north-1", "", "https://sts.cn-north-1.amazonaws.com.cn/"},
		{"eu-west-1", "https://vpce-1234.sts.eu-west-1.vpce.amazonaws.com", "https://vpce-1234.sts.eu-west-1.vpce.amazonaws.com/"},
		{"us-east-1", "http://127.0.0.1:8080/sts/", "http://127.0.0.1:8080/sts/"},
	}
	for _, tt := range tests {
		t.Run(tt.region+" "+tt.endpoint, func(t *testing.T) {
			rt := &recordingTransport{}
			c := NewSTS(tt.region, tt.endpoint, &http.Client{Transport: rt})
			_, err := c.AssumeRoleWithSAML(context.Background(), &sts.AssumeRoleWithSAMLInput{
				RoleArn: aws.String(trainRole.RoleARN), PrincipalArn: aws.String(trainRole.PrincipalARN),
				SAMLAssertion: aws.String(testAssertion),
			})
			if err != nil {
				t.Fatalf("AssumeRoleWithSAML: %v", err)
			}
			if len(rt.reqs) != 1 {
				t.Fatalf("requests = %d, want 1", len(rt.reqs))
			}
			r := rt.reqs[0]
			if got := r.URL.String(); got != tt.wantURL {
				t.Errorf("URL = %s, want %s", got, tt.wantURL)
			}
			if a := r.Header.Get("Authorization"); a != "" {
				t.Errorf("Authorization = %q, want unsigned request", a)
			}
		})
	}
}

func TestNewSTSRetryer(t *testing.T) {
	o := NewSTS("eu-west-1", "", nil).Options()
	if got := o.Retryer.MaxAttempts(); got != 3 {
		t.Errorf("MaxAttempts = %d, want 3", got)
	}
	// The SDK turns aws.AnonymousCredentials into "no credentials at all".
	if o.Credentials != nil {
		t.Errorf("Credentials = %T, want none: the call must never be signed", o.Credentials)
	}
	if o.HTTPClient == nil {
		t.Error("HTTPClient = nil, want the SDK default")
	}
}
