#!/usr/bin/env bash
# nginx (installer/deploy/nginx-qdiffusion.conf) in front of two `qdiffusion-cli serve` instances on
# 127.0.0.1, 40 concurrent txt2img, one instance killed mid-run; see lb-test.py for what it checks.
#   tests/load/lb-test.sh --cli build/bin/qdiffusion-cli [--requests 40] [--keep]
# Installs Debian's nginx-light when nginx is missing and this runs as root (the package's own
# service is not started in containers; on a machine with systemd it starts on port 80: stop it with
# `systemctl disable --now nginx` if you do not want it). Loopback only; bounded (--deadline).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
if ! command -v nginx >/dev/null && [ ! -x /usr/sbin/nginx ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "installing nginx-light"
    DEBIAN_FRONTEND=noninteractive apt-get install -y nginx-light >/dev/null
  else
    echo "lb-test.sh: needs nginx: sudo apt-get install nginx-light" >&2
    exit 2
  fi
fi
exec /usr/bin/python3 "$here/lb-test.py" "$@"
