// Package sandbox is ptsaml's built-in test bed: a SAML identity provider, an
// AWS-like STS endpoint, an in-memory S3 (under /s3, path-style, SigV4
// with the credentials its STS issued) and a GitHub-Actions-like OpenID
// Connect issuer of CI job tokens (under /oidc) served together on loopback.
//
// It lets a newcomer with no IdP and no AWS account watch the whole flow
// (`ptsaml sandbox`), and it is what the in-process CLI tests log in against.
// It is a TEST SANDBOX, NOT FOR PRODUCTION: its users and passwords are
// public, its credentials open nothing, and every page it serves says so.
//
// The STS half decides like AWS where it matters (signature, audience,
// recipient, the 5-minute redemption window, role/provider pairs, duration
// limits; for web identity tokens signature, issuer, audience, expiry) and
// answers with AWS's wire format and error codes, so that
// aws-sdk-go-v2 and boto3 parse its answers unchanged.
package sandbox

// Facts of the sandbox "AWS account".
const (
	// Account is the sandbox AWS account ID.
	Account = "123456789012"
	// ProviderARN is the IAM SAML provider that stands for the sandbox IdP.
	ProviderARN = "arn:aws:iam::" + Account + ":saml-provider/ptsaml-sandbox"
	// TrainRoleARN is offered to alice and bob.
	TrainRoleARN = "arn:aws:iam::" + Account + ":role/TrainRole"
	// ReadOnlyRoleARN is offered to bob only.
	ReadOnlyRoleARN = "arn:aws:iam::" + Account + ":role/ReadOnlyRole"
	// AWSAudience is the SAML audience AWS requires (commercial partition).
	AWSAudience = "urn:amazon:webservices"

	// Banner is the plain warning every page, the metadata and the start
	// log line carry.
	Banner = "ptsaml TEST SANDBOX - NOT FOR PRODUCTION"
)

// AWS SAML attribute names, matched by exact Name.
const (
	attrRole            = "https://aws.amazon.com/SAML/Attributes/Role"
	attrRoleSessionName = "https://aws.amazon.com/SAML/Attributes/RoleSessionName"
	attrSessionDuration = "https://aws.amazon.com/SAML/Attributes/SessionDuration"
	attrSourceIdentity  = "https://aws.amazon.com/SAML/Attributes/SourceIdentity"
	nameFormatURI       = "urn:oasis:names:tc:SAML:2.0:attrname-format:uri"
)
