// Package submit runs a user's training job (python or torchrun, or any
// command) with AWS credentials that stay valid for the job's whole life.
//
// The job never sees keys in its environment: JobEnv points the AWS SDKs at a
// loopback container-credentials endpoint (AWS_CONTAINER_CREDENTIALS_FULL_URI
// and AWS_CONTAINER_AUTHORIZATION_TOKEN) and removes every variable that the
// SDKs would prefer over it. A Refresher keeps that endpoint fed: it re-reads
// the credential store, so a `ptsaml login` in any terminal reaches every
// running job of the profile, calls an optional non-interactive
// re-authentication before the credentials run out, and warns on the job's
// terminal, in good time and once per lead time, when a person has to sign in
// again. Run starts the job in its own process group, forwards signals to the
// whole group and leaves no stray worker behind.
package submit
