#!/bin/sh
# Installs what agentft needs on Debian 12 (only the packages that are
# missing, with sudo when not root), then configures and builds it in place.
# Extra arguments go to ./configure.
set -e
cd "$(dirname "$0")/.."

PACKAGES="build-essential autoconf automake pkg-config libncurses-dev libyaml-dev \
libcjson-dev libopenblas-dev libcmocka-dev tmux"

missing=""
for p in $PACKAGES; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
if [ -n "$missing" ]; then
    if [ "$(id -u)" -eq 0 ]; then SUDO=""; else SUDO="sudo"; fi
    echo "setup: installing$missing"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq $missing
fi

if [ ! -x configure ] || [ configure.ac -nt configure ] || [ Makefile.am -nt Makefile.in ]; then
    ./autogen.sh
fi
if [ ! -f Makefile ] || [ -n "$*" ]; then
    ./configure "$@"
fi
make -j"$(nproc)"
