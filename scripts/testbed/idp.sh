#!/usr/bin/env bash
# idp.sh - SimpleSAMLphp 1.19 (Debian's package) as a test SAML IdP, served by
# PHP's built-in web server on 127.0.0.1:$IDP_PORT only (apache2 comes with the
# package but is never started or used).
#
#   idp.sh start    configure (once) and start; no-op when already running
#   idp.sh stop     stop the process group recorded in $STATE/php.pid
#   idp.sh status   exit 0 when running
#   idp.sh env      print the env file (IdP URLs for the tests)
#   idp.sh env-file print the path of that file (tests source it)
#
# Users: alice/alice-pass (TrainRole), bob/bob-pass (TrainRole + ReadOnlyRole),
# carol/carol-pass (no Role attribute). SP "$SP_ENTITY_ID" with one HTTP-POST
# ACS http://127.0.0.1:PORT/saml/acs per PORT in 18181..18200: SimpleSAMLphp
# silently posts to the first one when a request names an unlisted URL.
# ECP (SAML profiles 4.2) is on: a SOAP SingleSignOnService with HTTP basic
# auth, and a PAOS ACS at each of the same URLs (listed after the HTTP-POST
# ones, which stay the defaults), so one acs_url serves both flows.
# The same SP is also registered as urn:amazon:webservices (the audience the
# sandbox STS requires, as AWS does).
# Response and Assertion are signed (RSA-SHA256); attributes use NameFormat uri;
# Role values pair a role with arn:aws:iam::123456789012:saml-provider/TestIdP.
#
# Env: IDP_PORT (18080) SP_ENTITY_ID (urn:ptsaml:test) PTSAML_TESTBED_DIR
set -euo pipefail
TESTBED_NAME=idp
# shellcheck source=scripts/testbed/common.sh
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"

IDP_PORT="${IDP_PORT:-18080}"
SP_ENTITY_ID="${SP_ENTITY_ID:-urn:ptsaml:test}"
ACS_FIRST=18181
ACS_LAST=18200
STATE="$TESTBED_DIR/idp"
SSP=/usr/share/simplesamlphp
BASE="http://127.0.0.1:${IDP_PORT}/simplesaml/"
METADATA_URL="${BASE}saml2/idp/metadata.php"

configure() {
  [ -d "$SSP/www" ] || die "SimpleSAMLphp is not installed: run scripts/testbed/deps.sh"
  mkdir -p "$STATE"/{config,metadata,cert,log,sessions,data,tmp,docroot}
  chmod 700 "$STATE/cert"
  ln -sfn "$SSP/www" "$STATE/docroot/simplesaml"
  if [ ! -s "$STATE/cert/idp.key" ]; then
    openssl req -x509 -newkey rsa:2048 -sha256 -nodes -days 3650 -subj "/CN=ptsaml-test-idp" \
      -keyout "$STATE/cert/idp.key" -out "$STATE/cert/idp.crt" >/dev/null 2>&1 || die "openssl could not make the signing key"
  fi
  [ -s "$STATE/secretsalt" ] || od -An -N24 -tx1 /dev/urandom | tr -d ' \n' >"$STATE/secretsalt"

  cat >"$STATE/config/config.php" <<PHP
<?php
// test IdP for ptsaml's end-to-end tests; loopback only
\$config = [
    'baseurlpath' => '${BASE}',
    'certdir' => '${STATE}/cert/',
    'loggingdir' => '${STATE}/log/',
    'datadir' => '${STATE}/data/',
    'tempdir' => '${STATE}/tmp',
    'metadatadir' => '${STATE}/metadata/',
    'metadata.sources' => [['type' => 'flatfile', 'directory' => '${STATE}/metadata']],
    'technicalcontact_name' => 'ptsaml test',
    'technicalcontact_email' => 'test@example.org',
    'secretsalt' => '$(cat "$STATE/secretsalt")',
    'auth.adminpassword' => 'admin-pass',
    'admin.protectindexpage' => false,
    'admin.protectmetadata' => false,
    'timezone' => 'UTC',
    'logging.level' => SimpleSAML\Logger::INFO,
    'logging.handler' => 'file',
    'logging.logfile' => 'simplesamlphp.log',
    'showerrors' => true,
    'enable.saml20-idp' => true,
    'module.enable' => ['exampleauth' => true, 'core' => true, 'saml' => true, 'admin' => true],
    'session.cookie.secure' => false,
    'session.cookie.samesite' => 'Lax',
    'session.phpsession.savepath' => '${STATE}/sessions',
    'store.type' => 'phpsession',
    'language.default' => 'en',
];
PHP

  cat >"$STATE/config/authsources.php" <<'PHP'
<?php
$role = 'https://aws.amazon.com/SAML/Attributes/Role';
$rsn  = 'https://aws.amazon.com/SAML/Attributes/RoleSessionName';
$dur  = 'https://aws.amazon.com/SAML/Attributes/SessionDuration';
$prov = 'arn:aws:iam::123456789012:saml-provider/TestIdP';
$acct = 'arn:aws:iam::123456789012:role/';
$config = [
    'admin' => ['core:AdminPassword'],
    'example-userpass' => [
        'exampleauth:UserPass',
        'alice:alice-pass' => ['uid' => ['alice'], 'mail' => ['alice@example.org'],
            $role => [$acct . 'TrainRole,' . $prov], $rsn => ['alice'], $dur => ['3600']],
        'bob:bob-pass' => ['uid' => ['bob'], 'mail' => ['bob@example.org'],
            $role => [$acct . 'TrainRole,' . $prov, $acct . 'ReadOnlyRole,' . $prov],
            $rsn => ['bob'], $dur => ['3600']],
        'carol:carol-pass' => ['uid' => ['carol'], 'mail' => ['carol@example.org'], $rsn => ['carol']],
    ],
];
PHP

  cat >"$STATE/metadata/saml20-idp-hosted.php" <<'PHP'
<?php
$metadata['__DYNAMIC:1__'] = [
    'host' => '__DEFAULT__',
    'privatekey' => 'idp.key',
    'certificate' => 'idp.crt',
    'auth' => 'example-userpass',
    'saml20.sign.response' => true,
    'saml20.sign.assertion' => true,
    'signature.algorithm' => 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256',
    'saml20.ecp' => true,
];
PHP

  cat >"$STATE/metadata/saml20-sp-remote.php" <<PHP
<?php
\$acs = [];
for (\$port = ${ACS_FIRST}; \$port <= ${ACS_LAST}; \$port++) {
    \$acs[] = ['Binding' => 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST',
        'Location' => "http://127.0.0.1:\$port/saml/acs", 'index' => \$port - ${ACS_FIRST}];
}
for (\$port = ${ACS_FIRST}; \$port <= ${ACS_LAST}; \$port++) {
    \$acs[] = ['Binding' => 'urn:oasis:names:tc:SAML:2.0:bindings:PAOS',
        'Location' => "http://127.0.0.1:\$port/saml/acs", 'index' => \$port - ${ACS_FIRST} + 100];
}
\$sp = [
    'AssertionConsumerService' => \$acs,
    'NameIDFormat' => 'urn:oasis:names:tc:SAML:2.0:nameid-format:persistent',
    'attributes.NameFormat' => 'urn:oasis:names:tc:SAML:2.0:attrname-format:uri',
    'attributes' => [
        'https://aws.amazon.com/SAML/Attributes/Role',
        'https://aws.amazon.com/SAML/Attributes/RoleSessionName',
        'https://aws.amazon.com/SAML/Attributes/SessionDuration',
        'mail',
    ],
    'authproc' => [
        10 => ['class' => 'saml:AttributeNameID', 'attribute' => 'uid',
               'Format' => 'urn:oasis:names:tc:SAML:2.0:nameid-format:persistent'],
        50 => 'core:AttributeLimit',
    ],
    'saml20.sign.assertion' => true,
    'saml20.sign.response' => true,
    'validate.authnrequest' => false,
];
// the same SP under AWS's audience, for an STS that insists on it (the sandbox)
foreach (['${SP_ENTITY_ID}', 'urn:amazon:webservices'] as \$id) {
    \$metadata[\$id] = \$sp;
}
PHP
  chmod 600 "$STATE/cert/idp.key"
}

# php.pid holds the setsid'ed server; its workers share its process group, so
# stop kills the group.
running() { pid_alive "$STATE/php.pid" "php -S 127.0.0.1:${IDP_PORT}"; }

start() {
  if running; then log "already running (pid $(cat "$STATE/php.pid"))"; return 0; fi
  command -v php >/dev/null || die "php is not installed: run scripts/testbed/deps.sh"
  port_busy "$IDP_PORT" && die "127.0.0.1:$IDP_PORT is used by another process (stop it or set IDP_PORT)"
  configure
  local t0=$SECONDS
  # several workers let a metadata fetch run while a login is in flight
  (cd "$STATE/docroot" && SIMPLESAMLPHP_CONFIG_DIR="$STATE/config" PHP_CLI_SERVER_WORKERS=4 \
    exec setsid php -S "127.0.0.1:${IDP_PORT}" -t "$STATE/docroot" >"$STATE/log/php-server.log" 2>&1 </dev/null) &
  echo $! >"$STATE/php.pid"
  if ! wait_for 20 curl -fsS -o "$STATE/idp-metadata.xml" "$METADATA_URL"; then
    tail -20 "$STATE/log/php-server.log" >&2 || true
    stop
    die "the IdP did not answer $METADATA_URL within 20s (logs: $STATE/log/)"
  fi
  grep -q IDPSSODescriptor "$STATE/idp-metadata.xml" || die "IdP metadata has no IDPSSODescriptor"
  cat >"$STATE/env" <<ENV
PTSAML_E2E_IDP_URL=${BASE}
PTSAML_E2E_IDP_METADATA_URL=${METADATA_URL}
PTSAML_E2E_IDP_SSO_URL=${BASE}saml2/idp/SSOService.php
PTSAML_E2E_SP_ENTITY_ID=${SP_ENTITY_ID}
ENV
  log "up on $BASE in $((SECONDS - t0))s (pid $(cat "$STATE/php.pid")); env: $STATE/env"
}

stop() { stop_pid "$STATE/php.pid" "php -S 127.0.0.1:${IDP_PORT}" group; }

case "${1:-start}" in
  start) start ;;
  stop) stop ;;
  status) running ;;
  env) cat "$STATE/env" ;;
  env-file) echo "$STATE/env" ;;
  *) die "unknown command '$1' (start|stop|status|env|env-file)" ;;
esac
