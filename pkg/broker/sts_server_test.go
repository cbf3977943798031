package broker

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

// stsCall is one request the fake STS received.
type stsCall struct {
	Header http.Header
	Form   url.Values
}

// stsReply is what the fake STS answers: an HTTP status and an XML body.
type stsReply struct {
	Status int
	Body   string
}

// fakeSTS is a loopback STS speaking the Query API: form-encoded POST in,
// AWS's XML documents out, so the real SDK client parses real wire format.
type fakeSTS struct {
	mu    sync.Mutex
	calls []stsCall
	reply func(n int, form url.Values) stsReply // n counts from 0
	srv   *httptest.Server
}

func newFakeSTS(t *testing.T, reply func(n int, form url.Values) stsReply) *fakeSTS {
	t.Helper()
	f := &fakeSTS{reply: reply}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeSTS) serve(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost || r.ParseForm() != nil {
		http.Error(w, "bad request", http.StatusBadRequest)
		return
	}
	f.mu.Lock()
	n := len(f.calls)
	f.calls = append(f.calls, stsCall{Header: r.Header.Clone(), Form: r.PostForm})
	f.mu.Unlock()
	rep := f.reply(n, r.PostForm)
	w.Header().Set("Content-Type", "text/xml")
	w.Header().Set("X-Amzn-Requestid", fmt.Sprintf("req-%d", n))
	w.WriteHeader(rep.Status)
	fmt.Fprint(w, rep.Body)
}

func (f *fakeSTS) Calls() []stsCall {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]stsCall(nil), f.calls...)
}

// client is the real SDK client from newSTS pointed at the fake, with the
// backoff wait removed so throttling retries do not slow the tests.
func (f *fakeSTS) client() *sts.Client {
	return newSTS("eu-west-1", f.srv.URL, f.srv.Client(), noBackoff)
}

func noBackoff(o *retry.StandardOptions) {
	o.Backoff = retry.BackoffDelayerFunc(func(int, error) (time.Duration, error) { return 0, nil })
}

const (
	testAccessKey    = "ASIAEXAMPLEACCESSKEY"
	testSecretKey    = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY"
	testSessionToken = "FwoGZXIvYXdzEXAMPLETOKENtoken0123456789abcdefghijklmnopqrstuvwxyz"
	testAssumedRole  = "arn:aws:sts::123456789012:assumed-role/TrainRole/alice@example.com"
)

// stsSuccess is AWS's AssumeRoleWithSAML response document.
func stsSuccess(exp time.Time) stsReply {
	return stsReply{Status: http.StatusOK, Body: `<AssumeRoleWithSAMLResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
  <AssumeRoleWithSAMLResult>
    <Issuer>https://idp.example.com/saml</Issuer>
    <AssumedRoleUser>
      <Arn>` + testAssumedRole + `</Arn>
      <AssumedRoleId>AROAEXAMPLEID:alice@example.com</AssumedRoleId>
    </AssumedRoleUser>
    <Credentials>
      <AccessKeyId>` + testAccessKey + `</AccessKeyId>
      <SecretAccessKey>` + testSecretKey + `</SecretAccessKey>
      <SessionToken>` + testSessionToken + `</SessionToken>
      <Expiration>` + exp.UTC().Format(time.RFC3339) + `</Expiration>
    </Credentials>
    <Audience>https://signin.aws.amazon.com/saml</Audience>
    <SubjectType>persistent</SubjectType>
    <NameQualifier>SbdGOnUkh1i4+EXAMPLExL/jEvs=</NameQualifier>
    <SourceIdentity>alice-src</SourceIdentity>
    <Subject>alice@example.com</Subject>
  </AssumeRoleWithSAMLResult>
  <ResponseMetadata>
    <RequestId>c6104cbe-af31-11e0-8154-cbc7ccf896c7</RequestId>
  </ResponseMetadata>
</AssumeRoleWithSAMLResponse>`}
}

// stsError is AWS's Query API error document.
func stsError(status int, code, message string) stsReply {
	return stsReply{Status: status, Body: `<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
  <Error>
    <Type>Sender</Type>
    <Code>` + code + `</Code>
    <Message>` + message + `</Message>
  </Error>
  <RequestId>01234567-89ab-cdef-0123-456789abcdef</RequestId>
</ErrorResponse>`}
}
