#!/usr/bin/env bash
# Installs a pinned headcount release binary, its sha256 checked, into a
# cache folder (the composite action, action.yml, keeps that folder with
# actions/cache); falls back to building that version from source into the
# same folder when no release archive exists for this machine.
#
# Variables:
#   HEADCOUNT_VERSION       required, e.g. 0.1.0 (or v0.1.0)
#   HEADCOUNT_REPOSITORY    owner/name publishing the releases (default headcount-dev/headcount)
#   HEADCOUNT_DOWNLOAD_URL  where the archives are (default https://github.com/OWNER/NAME/releases/download/vVERSION)
#   HEADCOUNT_CACHE_DIR     where to install (default $RUNNER_TOOL_CACHE/headcount/VERSION/TARGET, else ~/.cache/...)
#   HEADCOUNT_TARGET        the release target (default: this machine's)
#   HEADCOUNT_SOURCE_FALLBACK  "true" (default): `cargo install` the version when no archive exists
#
# A checksum that does not match is refused: never installed, never a
# fallback. Prints the folder holding `headcount`, and adds it to
# GITHUB_PATH when set.
set -euo pipefail

die() { echo "::error title=headcount install::$*" >&2; exit 1; }

version=${HEADCOUNT_VERSION:-}
[ -n "$version" ] || die "HEADCOUNT_VERSION is not set (the release to install, e.g. 0.1.0)"
version=${version#v}
case $version in
  *[!0-9A-Za-z.+-]*) die "HEADCOUNT_VERSION '$version' is not a version" ;;
esac
tag="v$version"
repository=${HEADCOUNT_REPOSITORY:-headcount-dev/headcount}

if [ -z "${HEADCOUNT_TARGET:-}" ]; then
  case "$(uname -s)/$(uname -m)" in
    Linux/x86_64) HEADCOUNT_TARGET=x86_64-unknown-linux-musl ;;
    Linux/aarch64 | Linux/arm64) HEADCOUNT_TARGET=aarch64-unknown-linux-musl ;;
    Darwin/x86_64) HEADCOUNT_TARGET=x86_64-apple-darwin ;;
    Darwin/arm64) HEADCOUNT_TARGET=aarch64-apple-darwin ;;
    *) HEADCOUNT_TARGET=unknown ;;
  esac
fi
target=$HEADCOUNT_TARGET
cache_root=${RUNNER_TOOL_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}}
dir=${HEADCOUNT_CACHE_DIR:-$cache_root/headcount/$version/$target}
mkdir -p "$dir"

publish() {
  echo "headcount $("$dir/headcount" --version | awk '{print $2}') in $dir"
  if [ -n "${GITHUB_PATH:-}" ]; then echo "$dir" >> "$GITHUB_PATH"; fi
  if [ -n "${GITHUB_OUTPUT:-}" ]; then echo "path=$dir" >> "$GITHUB_OUTPUT"; fi
}

# Cached: the same version, installed before.
if [ -x "$dir/headcount" ] && [ "$("$dir/headcount" --version 2>/dev/null)" = "headcount $version" ]; then
  echo "cached: $dir/headcount"
  publish
  exit 0
fi

archive="headcount-${tag}-${target}.tar.gz"
base=${HEADCOUNT_DOWNLOAD_URL:-https://github.com/$repository/releases/download/$tag}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

if curl -fsSL --retry 3 --connect-timeout 10 -o "$work/$archive" "$base/$archive" &&
  curl -fsSL --retry 3 --connect-timeout 10 -o "$work/$archive.sha256" "$base/$archive.sha256"; then
  expected=$(awk '{print $1; exit}' "$work/$archive.sha256")
  if command -v sha256sum >/dev/null; then
    actual=$(sha256sum "$work/$archive" | awk '{print $1}')
  else
    actual=$(shasum -a 256 "$work/$archive" | awk '{print $1}')
  fi
  if [ -z "$expected" ] || [ "$expected" != "$actual" ]; then
    die "checksum mismatch for $archive: expected '${expected}', got '$actual'; refusing to install it"
  fi
  echo "sha256 $actual  $archive: OK"
  tar -xzf "$work/$archive" -C "$work" headcount
  install -m 755 "$work/headcount" "$dir/headcount"
elif [ "${HEADCOUNT_SOURCE_FALLBACK:-true}" = "true" ]; then
  echo "::warning title=headcount install::no release archive $base/$archive; building headcount $version from source (cached per version)"
  command -v cargo >/dev/null || die "no release archive for $target and no cargo to build from source"
  cargo install --locked --quiet --root "$work/root" --version "$version" headcount
  install -m 755 "$work/root/bin/headcount" "$dir/headcount"
else
  die "no release archive $base/$archive (and HEADCOUNT_SOURCE_FALLBACK is not true)"
fi
publish
