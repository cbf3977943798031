#!/usr/bin/env bash
# moto60.sh - a second moto on 127.0.0.1:18501 whose credentials all expire
# after 60 s (MOTO_CAP_DURATION=60), for the tests of long jobs across
# credential refreshes. Same roles, SAML provider and bucket as moto.sh, but
# its own process and state ($PTSAML_TESTBED_DIR/moto60); the instance on 18500
# is not touched. Its env file sets PTSAML_E2E_MOTO60_URL only.
#
#   moto60.sh start|stop|status|env|env-file   (as moto.sh)
# Env: MOTO60_PORT (18501) MOTO_PY IDP_METADATA_URL PTSAML_TESTBED_DIR
set -euo pipefail
export MOTO_PORT="${MOTO60_PORT:-18501}" MOTO_CAP_DURATION=60 MOTO_INSTANCE=moto60 MOTO_URL_VAR=PTSAML_E2E_MOTO60_URL
exec bash "$(dirname "${BASH_SOURCE[0]}")/moto.sh" "$@"
