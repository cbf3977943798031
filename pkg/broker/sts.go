// Package broker turns a validated SAML login into short-lived AWS
// credentials: it chooses the role, calls STS AssumeRoleWithSAML, explains STS
// refusals in words a person can act on, caches the resulting session in a
// byte store, and serialises parallel callers with one file lock per profile.
package broker

import (
	"context"
	"net/http"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

// DefaultRegion is the STS region used when none is configured.
const DefaultRegion = "us-east-1"

// stsMaxAttempts bounds the SDK's own retries (throttling, 5xx, transport
// errors) so a refusal reaches the person quickly.
const stsMaxAttempts = 3

// STS is the part of the STS API that the broker calls. *sts.Client satisfies it.
type STS interface {
	AssumeRoleWithSAML(ctx context.Context, in *sts.AssumeRoleWithSAMLInput, opts ...func(*sts.Options)) (*sts.AssumeRoleWithSAMLOutput, error)
}

// NewSTS returns an STS client for AssumeRoleWithSAML. The call is unsigned,
// so the client carries anonymous credentials and never looks for AWS keys.
// The SDK resolves the regional endpoint of region (sts.REGION.amazonaws.com,
// .amazonaws.com.cn in China, GovCloud's own) when endpoint is empty; a
// non-empty endpoint (for example a sandbox or a VPC endpoint URL) replaces it.
// An empty region means us-east-1. A nil httpClient selects the SDK default.
// Throttling and transient failures are retried by the SDK with jittered
// backoff, at most 3 attempts in all.
func NewSTS(region, endpoint string, httpClient *http.Client) *sts.Client {
	return newSTS(region, endpoint, httpClient)
}

// newSTS is NewSTS with extra retry options, so tests can remove the backoff
// wait without building the client differently.
func newSTS(region, endpoint string, httpClient *http.Client, retryOpts ...func(*retry.StandardOptions)) *sts.Client {
	if region == "" {
		region = DefaultRegion
	}
	opts := sts.Options{
		Region:      region,
		Credentials: aws.AnonymousCredentials{},
		Retryer: retry.NewStandard(append([]func(*retry.StandardOptions){
			func(o *retry.StandardOptions) { o.MaxAttempts = stsMaxAttempts },
		}, retryOpts...)...),
	}
	if endpoint != "" {
		opts.BaseEndpoint = aws.String(endpoint)
	}
	if httpClient != nil {
		opts.HTTPClient = httpClient
	}
	return sts.New(opts)
}
