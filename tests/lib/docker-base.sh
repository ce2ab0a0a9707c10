#!/usr/bin/env bash
# docker-base.sh TAG: a Debian 12 base image made from Debian's packages
# (debootstrap --variant=minbase bookworm + docker import), for machines
# without a container registry. An image already tagged TAG is reused, so
# only the first run pays the ~40 s. Trimmed like debian:bookworm-slim
# (no docs, man pages or locales; dpkg keeps them out of later installs).
set -eu
tag=${1:?usage: docker-base.sh TAG}
mirror=${SDNS_DEBIAN_MIRROR:-http://deb.debian.org/debian}
docker=${DOCKER:-docker}
if "$docker" image inspect "$tag" >/dev/null 2>&1; then
	echo "docker-base: $tag exists, reused"
	exit 0
fi
dir=$(mktemp -d "${TMPDIR:-/tmp}/sdns-rootfs-XXXXXX")
trap 'rm -rf "$dir"' EXIT
start=$SECONDS
debootstrap --variant=minbase bookworm "$dir" "$mirror" >"$dir.log" 2>&1 \
	|| { tail -20 "$dir.log"; rm -f "$dir.log"; exit 1; }
rm -f "$dir.log"
cat >"$dir/etc/dpkg/dpkg.cfg.d/docker-slim" <<'CFG'
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/info/*
path-exclude /usr/share/locale/*
path-include /usr/share/locale/locale.alias
CFG
cat >"$dir/etc/apt/apt.conf.d/docker-clean" <<'CFG'
DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/*.bin || true"; };
APT::Install-Recommends "false";
Acquire::Languages "none";
CFG
cat >"$dir/etc/apt/sources.list" <<SRC
deb $mirror bookworm main
deb $mirror bookworm-updates main
deb ${mirror%/debian}/debian-security bookworm-security main
SRC
find "$dir/usr/share/doc" -mindepth 2 ! -name copyright -delete 2>/dev/null || true
rm -rf "$dir"/usr/share/man/* "$dir"/usr/share/info/* "$dir"/var/lib/apt/lists/* \
	"$dir"/var/cache/apt/*.bin "$dir"/var/cache/apt/archives/*.deb "$dir"/var/log/*.log
find "$dir/usr/share/locale" -mindepth 1 -maxdepth 1 ! -name locale.alias -exec rm -rf {} +
tar -C "$dir" --numeric-owner -c . | "$docker" import -c 'CMD ["bash"]' - "$tag" >/dev/null
echo "docker-base: $tag made in $((SECONDS - start)) s"
