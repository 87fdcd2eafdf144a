#!/usr/bin/env bash
# `make test-py313`: the course's `make test` under Python 3.13, in a Debian trixie root made with debootstrap under
# build/py313/ (this machine has 3.11 only; Colab and Debian 13 ship 3.13). Needs root, debootstrap and network
# access to Debian's mirror and PyPI. torch for 3.13 comes from PyPI as its CUDA build (several GB, runs on the CPU).
#
#   tools/py313.sh            # make the root once, clone this checkout's HEAD into it, run `make test` there
#   tools/py313.sh TARGETS…   # other make targets instead (e.g. test-hub test-notebooks)
set -euo pipefail
ROOT_DIR="$(cd "$(dirname "$0")/.." && pwd)"
JAIL="$ROOT_DIR/build/py313/root"
MIRROR="${DEBIAN_MIRROR:-http://deb.debian.org/debian}"
TARGETS=("${@:-test}")
PACKAGES=python3,python3-venv,python3-dev,gcc,g++,make,git,git-lfs,ca-certificates,procps,curl
# Chromium afterwards with apt (debootstrap does not resolve its virtual dependencies)
LATE_PACKAGES="chromium nodejs npm"

if [ "$(id -u)" != 0 ]; then echo "make test-py313 needs root (debootstrap, chroot)" >&2; exit 2; fi
command -v debootstrap >/dev/null || DEBIAN_FRONTEND=noninteractive apt-get install -y -q debootstrap
if [ ! -x "$JAIL/usr/bin/python3" ]; then
  mkdir -p "$JAIL"
  debootstrap --variant=minbase --include="$PACKAGES" trixie "$JAIL" "$MIRROR"
fi
cp /etc/resolv.conf "$JAIL/etc/resolv.conf"
# this machine's CA bundle (a network that inspects TLS has its own CA in it), for pip and npm inside the root
cp /etc/ssl/certs/ca-certificates.crt "$JAIL/etc/ssl/host-ca-certificates.crt"

mounted=()
mount_in() { mkdir -p "$JAIL$2"; mount "${@:3}" "$1" "$JAIL$2"; mounted=("$JAIL$2" "${mounted[@]}"); }
cleanup() {
  # nothing of the suite may outlive it: kill what still runs inside the root, then unmount
  for pid in $(ls /proc | grep -E '^[0-9]+$'); do
    [ "$(readlink "/proc/$pid/root" 2>/dev/null)" = "$JAIL" ] && kill -9 "$pid" 2>/dev/null || true
  done
  for m in "${mounted[@]}"; do umount -l "$m" 2>/dev/null || true; done
}
trap cleanup EXIT
mount_in proc /proc -t proc
# a /dev of its own (never the host's, bound: a test that replaces /dev/null in the root must not touch the host's)
mount_in tmpfs /dev -t tmpfs -o mode=755,nosuid
for node in "null c 1 3" "zero c 1 5" "full c 1 7" "random c 1 8" "urandom c 1 9" "tty c 5 0"; do
  set -- $node; mknod -m 666 "$JAIL/dev/$1" "$2" "$3" "$4"
done
ln -s /proc/self/fd "$JAIL/dev/fd"; ln -s /proc/self/fd/0 "$JAIL/dev/stdin"
ln -s /proc/self/fd/1 "$JAIL/dev/stdout"; ln -s /proc/self/fd/2 "$JAIL/dev/stderr"
mount_in devpts /dev/pts -t devpts -o newinstance,ptmxmode=0666
ln -sf pts/ptmx "$JAIL/dev/ptmx"
mount_in tmpfs /dev/shm -t tmpfs
mount_in sysfs /sys -t sysfs
if [ ! -x "$JAIL/usr/bin/chromium" ]; then
  chroot "$JAIL" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $LATE_PACKAGES
fi

# this checkout's HEAD, as CI takes main: a clone, cleaned of all but .venv (torch for 3.13: GBs) and the built hub
# (a path no file of the course contains: the hygiene test flags the checkout's path wherever it appears)
CHECKOUT="/srv/$(basename "$ROOT_DIR")-py313"
if [ -d "$JAIL$CHECKOUT/.git" ]; then
  git -C "$JAIL$CHECKOUT" fetch -q "$ROOT_DIR" HEAD
  git -C "$JAIL$CHECKOUT" reset -q --hard FETCH_HEAD
  git -C "$JAIL$CHECKOUT" clean -q -fdx -e .venv -e data/hub  # `make hub` rebuilds it when stale
else
  git clone -q "$ROOT_DIR" "$JAIL$CHECKOUT"
fi
echo "python in the root: $(chroot "$JAIL" python3 --version)"
chroot "$JAIL" /usr/bin/env -i HOME=/root PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
  LANG=C.UTF-8 CI=true PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_CERT=/etc/ssl/host-ca-certificates.crt \
  SSL_CERT_FILE=/etc/ssl/host-ca-certificates.crt REQUESTS_CA_BUNDLE=/etc/ssl/host-ca-certificates.crt \
  NODE_EXTRA_CA_CERTS=/etc/ssl/host-ca-certificates.crt npm_config_cafile=/etc/ssl/host-ca-certificates.crt \
  bash -c "cd $CHECKOUT && git lfs install >/dev/null && make ${TARGETS[*]}; rc=\$?; make stop >/dev/null 2>&1; exit \$rc"
