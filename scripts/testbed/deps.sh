#!/usr/bin/env bash
# deps.sh - installs every Debian package the end-to-end
# tests use: SimpleSAMLphp + PHP (IdP), xmlsec1 (signature checks in moto),
# Chromium (browser login), gnome-keyring + D-Bus + secret-tool (keyring store),
# boto3 and aws-cli v2 (/usr/bin/aws), and CPU PyTorch with OpenBLAS for the
# training job of the `ptsaml run` tests (examples/train.py; always run with
# /usr/bin/python3). Packages already installed are skipped,
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

# Installed without recommends: python3-torch recommends build tools and
# headers worth hundreds of MB that the tests do not use. Without
# libopenblas0-pthread, libblas.so.3 is the slow netlib reference BLAS.
TORCH_PACKAGES=(python3-torch libopenblas0-pthread)

t0=$SECONDS
apt_install "${PACKAGES[@]}"
mapfile -t missing < <(missing_packages "${TORCH_PACKAGES[@]}")
if [ ${#missing[@]} -gt 0 ]; then
  [ "$(id -u)" = 0 ] || die "missing packages: ${missing[*]} (run as root: apt-get install --no-install-recommends ${missing[*]})"
  log "apt-get install --no-install-recommends ${missing[*]}"
  apt=(apt-get -o DPkg::Lock::Timeout=600 -q -y)
  if ! DEBIAN_FRONTEND=noninteractive "${apt[@]}" install --no-install-recommends "${missing[@]}" >>"$APT_LOG" 2>&1; then
    log "install failed; running apt-get update and retrying"
    "${apt[@]}" update >>"$APT_LOG" 2>&1 || true
    DEBIAN_FRONTEND=noninteractive "${apt[@]}" install --no-install-recommends "${missing[@]}" >>"$APT_LOG" 2>&1 \
      || { tail -20 "$APT_LOG" >&2; die "apt-get install ${missing[*]} failed (log: $APT_LOG)"; }
  fi
fi
php -m | grep -x dom >/dev/null || die "the php dom extension is missing (php-xml)"
[ -x /usr/bin/chromium ] || die "/usr/bin/chromium missing after install"
[ -x /usr/bin/aws ] || die "/usr/bin/aws missing after install"
/usr/bin/python3 -c 'import torch, boto3' 2>/dev/null || die "/usr/bin/python3 cannot import torch and boto3 after install"
log "all packages present ($((SECONDS - t0))s)"
