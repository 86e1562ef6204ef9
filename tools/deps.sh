#!/bin/sh
# Installs the Debian packages a make target needs, only those missing.
# Usage: tools/deps.sh build|test|bench|fuzz
set -eu
pkgs="build-essential pkg-config libevent-dev libsqlite3-dev sqlite3 libjansson-dev libsodium-dev"
case "${1:-build}" in
build) ;;
test) pkgs="$pkgs python3 python3-yaml curl" ;;
bench) pkgs="$pkgs python3 curl wrk valgrind time" ;;
fuzz) pkgs="$pkgs clang libclang-rt-14-dev" ;;
*) echo "deps.sh: unknown set '$1'" >&2; exit 2 ;;
esac
missing=""
for p in $pkgs; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
echo "techmart: installing Debian packages:$missing" >&2
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
