package broker

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/ptsaml/ptsaml/pkg/login"
)

func TestExchangeRejectsInput(t *testing.T) {
	noAssertion := testLogin()
	noAssertion.SAMLResponse = ""
	other := login.RolePair{RoleARN: "arn:aws:iam::123456789012:role/Other", PrincipalARN: trainRole.PrincipalARN}
	tests := []struct {
		name string
		in   ExchangeInput
		want string
	}{
		{"no login", ExchangeInput{Role: trainRole}, "no SAML assertion"},
		{"empty assertion", ExchangeInput{Login: noAssertion, Role: trainRole}, "no SAML assertion"},
		{"no role", ExchangeInput{Login: testLogin()}, "no role chosen"},
		{"role not offered", ExchangeInput{Login: testLogin(), Role: other}, "does not offer this role"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake := newFakeSTS(t, func(int, url.Values) stsReply { return stsSuccess(t0.Add(time.Hour)) })
			_, err := Exchange(context.Background(), fake.client(), tt.in, Deps{})
			if err == nil || !strings.Contains(err.Error(), tt.want) || len(fake.Calls()) != 0 {
				t.Errorf("err = %v, calls = %d; want %q and no STS call", err, len(fake.Calls()), tt.want)
			}
		})
	}
}

func TestExchangeIncompleteAnswer(t *testing.T) {
	fake := newFakeSTS(t, func(int, url.Values) stsReply {
		return stsReply{Status: http.StatusOK, Body: `<AssumeRoleWithSAMLResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><AssumeRoleWithSAMLResult></AssumeRoleWithSAMLResult></AssumeRoleWithSAMLResponse>`}
	})
	td := newTestDeps()
	_, err := Exchange(context.Background(), fake.client(), ExchangeInput{Login: testLogin(), Role: trainRole, Profile: "dev"}, td.Deps)
	if err == nil || !strings.Contains(err.Error(), "without complete credentials") {
		t.Fatalf("err = %v, want incomplete-credentials error", err)
	}
	if len(td.audit.events) != 1 || td.audit.events[0].Event != "sts.error" {
		t.Errorf("audit = %+v, want one sts.error", td.audit.events)
	}
}
