// Package e2e holds ptsaml's end-to-end tests: the real ptsaml binary against a
// real SAML IdP (SimpleSAMLphp), a real browser (headless Chromium), the OS
// keyring (gnome-keyring over D-Bus), the AWS CLI, and moto as an AWS STS/S3
// stand-in that shares no code with ptsaml.
//
// The tests are ordinary Go tests. Each skips, saying which part is missing,
// when its part of the test bed is absent; with CI=true they fail instead, so a
// broken test bed cannot pass. `bash scripts/test.sh` installs and starts the
// whole test bed (scripts/testbed/) and then runs every test.
//
// The test bed is found through environment variables that the testbed scripts
// write into their env files (PTSAML_E2E_IDP_METADATA_URL, PTSAML_E2E_STS_URL,
// PTSAML_E2E_DBUS_ADDRESS, ...); the defaults are the scripts' fixed loopback
// ports. The keyring tests only ever use the private bus named by
// PTSAML_E2E_DBUS_ADDRESS, never a desktop's own keyring.
package e2e
