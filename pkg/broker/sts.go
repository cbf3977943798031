// Package broker turns a validated SAML login into short-lived AWS
// credentials: it chooses the role, calls STS AssumeRoleWithSAML, explains STS
// refusals in words a person can act on, caches the resulting session in a
// byte store, and serialises parallel callers with one file lock per profile.
package broker

import (
	"context"
	"net/http"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

// DefaultRegion is the STS region used when none is configured.
const DefaultRegion = "us-east-1"

// stsMaxAttempts bounds the SDK's own retries (throttling, 5xx, transport
// errors) so a refusal reaches the person quickly.
const stsMaxAttempts = 3

// stsMaxBackoff caps each wait between attempts. With 3 attempts the SDK's
// exponential backoff with full jitter waits a random time up to 1 s, then
// up to 2 s, after throttling, and up to 50 ms, then 100 ms, after a 5xx or
// transport error: below the cap, which holds should the SDK's formula grow.
const stsMaxBackoff = 5 * time.Second

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
// Throttling, 5xx answers and transport errors are retried by the SDK, at
// most 3 attempts in all, after a random (full jitter) exponential backoff
// of at most stsMaxBackoff (5 s) per wait; an x-amz-retry-after header from
// STS can lengthen a wait by at most 5 s more. Refusals (AccessDenied,
// InvalidIdentityToken, ExpiredTokenException, …) are sent once. A context
// cancelled during a wait ends the call at once with the context's error.
// AssumeRoleWithWebIdentity on this client retries the same way (the SDK
// adds IDPCommunicationError to what it retries).
func NewSTS(region, endpoint string, httpClient *http.Client) *sts.Client {
	return newSTS(region, endpoint, httpClient)
}

// newSTS is NewSTS with extra retry options, applied after NewSTS's own, so
// tests can shorten or record the backoff without building the client
// differently.
func newSTS(region, endpoint string, httpClient *http.Client, retryOpts ...func(*retry.StandardOptions)) *sts.Client {
	if region == "" {
		region = DefaultRegion
	}
	opts := sts.Options{
		Region:      region,
		Credentials: aws.AnonymousCredentials{},
		Retryer: retry.NewStandard(append([]func(*retry.StandardOptions){
			func(o *retry.StandardOptions) { o.MaxAttempts, o.MaxBackoff = stsMaxAttempts, stsMaxBackoff },
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
