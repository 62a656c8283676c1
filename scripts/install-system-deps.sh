#!/usr/bin/env bash
# System libraries that pip cannot provide:
#  - Pango (+ HarfBuzz, fontconfig) for WeasyPrint's HTML -> PDF rendering
#  - libharfbuzz-subset0: WeasyPrint subsets fonts with HarfBuzz (~10x faster than its fontTools fallback)
#  - fonts with full Dutch/Latin coverage (DejaVu)
#  - poppler-utils (pdftotext, pdftoppm) for the end-to-end report tests and screenshots
# Installs with apt-get when run as root on Debian/Ubuntu; otherwise prints what to install.
set -euo pipefail
PKGS=(libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz0b libfontconfig1 fonts-dejavu-core poppler-utils)

# Optional: only makes the PDFs faster; missing it is not an error.
OPTIONAL=(libharfbuzz-subset0)

installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"; }
missing=()
for p in "${PKGS[@]}"; do installed "$p" || missing+=("$p"); done
optional=()
for p in "${OPTIONAL[@]}"; do installed "$p" || optional+=("$p"); done
if [ ${#missing[@]} -eq 0 ]; then
  if [ ${#optional[@]} -gt 0 ]; then
    if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
      export DEBIAN_FRONTEND=noninteractive
      apt-get install -y -qq --no-install-recommends "${optional[@]}" >/dev/null 2>&1 \
        || echo "install-system-deps: optional ${optional[*]} not installed (PDFs work, only slower)" >&2
    else
      echo "install-system-deps: optional: sudo apt-get install ${optional[*]} (faster PDF font subsetting)" >&2
    fi
  fi
  exit 0
fi
missing+=("${optional[@]}")

if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "install-system-deps: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
else
  echo "install-system-deps: missing system packages: ${missing[*]}" >&2
  echo "  install them with: sudo apt-get install ${missing[*]}" >&2
  echo "  (PDF reports need Pango; the end-to-end tests need poppler-utils)" >&2
  exit 1
fi
