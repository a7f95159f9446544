#!/usr/bin/env bash
# Packages a built headcount binary as release.yml publishes it (and as
# ci/install.sh and `cargo binstall` expect it):
#
#   ci/package.sh BINARY TAG TARGET OUTDIR
#
# writes OUTDIR/headcount-TAG-TARGET.tar.gz (headcount, headcount.1,
# README.md and LICENSE if present, at the archive's top level) and
# OUTDIR/headcount-TAG-TARGET.tar.gz.sha256 ("HASH  NAME", as sha256sum
# writes it). The binary is stripped already (Cargo.toml [profile.release]).
set -euo pipefail
if [ $# -ne 4 ]; then
  echo "usage: ci/package.sh BINARY TAG TARGET OUTDIR" >&2
  exit 1
fi
binary=$1 tag=$2 target=$3 outdir=$4
root=$(cd "$(dirname "$0")/.." && pwd)
name="headcount-${tag}-${target}"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/$name" "$outdir"
cp "$binary" "$work/$name/headcount"
chmod 755 "$work/$name/headcount"
"$work/$name/headcount" --version
"$work/$name/headcount" man > "$work/$name/headcount.1"
cp "$root/README.md" "$work/$name/"
if [ -f "$root/LICENSE" ]; then cp "$root/LICENSE" "$work/$name/"; fi
(cd "$work/$name" && tar -czf "$work/$name.tar.gz" -- *)
mv "$work/$name.tar.gz" "$outdir/"
cd "$outdir"
if command -v sha256sum >/dev/null; then
  sha256sum "$name.tar.gz" > "$name.tar.gz.sha256"
else
  shasum -a 256 "$name.tar.gz" > "$name.tar.gz.sha256"
fi
cat "$name.tar.gz.sha256"
