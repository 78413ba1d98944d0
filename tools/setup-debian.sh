#!/bin/sh
# Installs what agentft needs on Debian 12 (only the packages that are
# missing, with sudo when not root), then configures and builds it in place.
# --tests also installs what the test suite uses (tmux, PyTorch for the
# reference checks, node/npm for the GPT-2 encoder check, wordnet-base for
# the augmentation tests, OpenMPI for the data-parallel tests) and builds
# with --with-mpi. Other arguments go to ./configure.
set -e
cd "$(dirname "$0")/.."

PACKAGES="build-essential autoconf automake pkg-config libncurses-dev libyaml-dev \
libcjson-dev libopenblas-dev libcmocka-dev"
TEST_PACKAGES="tmux python3 python3-torch wordnet-base libopenmpi-dev openmpi-bin"

with_tests=0
for arg in "$@"; do
    [ "$arg" = "--tests" ] && with_tests=1
done
configure_args=""
for arg in "$@"; do
    [ "$arg" = "--tests" ] || configure_args="$configure_args $arg"
done
if [ "$with_tests" -eq 1 ]; then
    configure_args="$configure_args --with-mpi"
fi

wanted="$PACKAGES"
if [ "$with_tests" -eq 1 ]; then
    wanted="$wanted $TEST_PACKAGES"
    # A node that is already installed (Debian's or another) will do.
    command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1 || wanted="$wanted nodejs npm"
fi

missing=""
for p in $wanted; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
if [ -n "$missing" ]; then
    if [ "$(id -u)" -eq 0 ]; then SUDO=""; else SUDO="sudo"; fi
    echo "setup: installing$missing"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $missing
fi

if [ ! -x configure ] || [ configure.ac -nt configure ] || [ Makefile.am -nt Makefile.in ]; then
    ./autogen.sh
fi
if [ ! -f Makefile ] || [ -n "$configure_args" ]; then
    # shellcheck disable=SC2086
    ./configure $configure_args
fi
make -j"$(nproc)"
