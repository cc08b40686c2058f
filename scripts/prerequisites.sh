#!/usr/bin/env bash
# System packages the test suite drives for real: SoftHSMv2 (a standard PKCS#11 token),
# OpenSC's pkcs11-tool (an independent PKCS#11 client), the C toolchain and OpenSSL headers
# for the SM2 software token with gcc's AddressSanitizer and UBSan runtimes (its sanitizer harness,
# hsm/softtoken/fuzz.mjs), the openssl CLI as an independent SM2 cross-check, and Chromium with a
# CJK font for the console's browser tests (test/browser: playwright-core drives /usr/bin/chromium).
set -euo pipefail
need=()
for pkg in softhsm2 opensc libssl-dev openssl gcc make libasan8 libubsan1 chromium fonts-wqy-zenhei; do
  dpkg -s "$pkg" >/dev/null 2>&1 || need+=("$pkg")
done
[ ${#need[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
  echo "missing system packages: ${need[*]} (install them with: sudo apt-get install ${need[*]})" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# Chromium alone is a few hundred MB: keep apt quiet (errors still reach stderr).
apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
