#!/usr/bin/env bash
# deps.sh - installs, in one apt-get run, every Debian package the end-to-end
# tests use: SimpleSAMLphp + PHP (IdP), xmlsec1 (signature checks in moto),
# Chromium (browser login), gnome-keyring + D-Bus + secret-tool (keyring store),
# boto3 and aws-cli v2 (/usr/bin/aws). Packages already installed are skipped,
# so a second run costs a few dpkg queries. Needs root when something is missing.
# moto is not a Debian package: moto.sh uses the copy in the machine's pyenv.
set -euo pipefail
TESTBED_NAME=deps
# shellcheck source=scripts/testbed/common.sh
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"

PACKAGES=(
  simplesamlphp php-cli php-xml php-mbstring openssl xmlsec1 curl
  chromium chromium-driver
  gnome-keyring libsecret-tools dbus-daemon dbus-bin
  python3 python3-boto3 awscli
)

t0=$SECONDS
apt_install "${PACKAGES[@]}"
php -m | grep -x dom >/dev/null || die "the php dom extension is missing (php-xml)"
[ -x /usr/bin/chromium ] || die "/usr/bin/chromium missing after install"
[ -x /usr/bin/aws ] || die "/usr/bin/aws missing after install"
log "all packages present ($((SECONDS - t0))s)"
