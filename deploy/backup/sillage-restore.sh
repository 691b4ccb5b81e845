#!/usr/bin/env bash
# sillage-restore.sh — put an archive of sillage-backup.sh back as the data
# folder of the embedded engine.
#
# Usage:
#   sillage-restore.sh [--data DIR] [--force] ARCHIVE
#
#   --data DIR   data folder to restore into (default $SILLAGE_DATA or
#                /var/lib/sillage)
#   --force      delete the current data folder instead of keeping it aside
#
# Steps: checks the archive (its .sha256 when present, and that it holds a
# data folder); unpacks it next to the data folder; then, holding the data
# folder's lock (so no sillage runs on it), moves the current folder aside to
# DATA.before-restore-STAMP (or deletes it with --force) and the restored one
# into place. Rows of the daily salts found in the archive (one made before
# backups left them out) are deleted before anything is moved: a salt must
# not outlive its two days. Start sillage afterwards: it replays whatever
# the restored write-ahead log still holds, and draws a new salt for today.
set -euo pipefail

data="${SILLAGE_DATA:-/var/lib/sillage}"
force=""
archive=""

die() { echo "sillage-restore: $*" >&2; exit 1; }
usage() { sed -n '2,/^set -euo/p' "$0" | sed -e '$d' -e 's/^# \{0,1\}//'; exit "${1:-0}"; }

while [ $# -gt 0 ]; do
    case "$1" in
    --data) data="${2:?--data needs a folder}"; shift 2 ;;
    --force) force=1; shift ;;
    -h | --help) usage 0 ;;
    -*) echo "sillage-restore: unknown option $1" >&2; usage 2 ;;
    *) [ -z "$archive" ] || die "one archive only"; archive="$1"; shift ;;
    esac
done
[ -n "$archive" ] || usage 2
[ -f "$archive" ] || die "archive $archive not found"
command -v flock >/dev/null || die "flock not found (Debian package util-linux)"

if [ -f "$archive.sha256" ]; then
    (cd "$(dirname "$archive")" && sha256sum --quiet -c "$(basename "$archive").sha256") ||
        die "checksum of $archive does not match $archive.sha256"
fi
# (grep reads the whole listing: -q would cut tar off and fail the pipe)
tar -tzf "$archive" | grep '^\./engine/' >/dev/null || die "$archive holds no engine/ folder: not a sillage backup"

data="${data%/}"
parent="$(dirname "$data")"
mkdir -p "$parent"
stamp="$(date -u +%Y%m%dT%H%M%SZ)"
incoming="$(mktemp -d "$data.restore-$stamp.XXXXXX")"
trap 'rm -rf "$incoming"' EXIT

# Unpack first (the slow part), with owners and modes as they were.
tar -C "$incoming" --numeric-owner -xzpf "$archive"
for link in "$incoming"/engine/data/*/salts; do
    [ -e "$link" ] || continue
    dir="$(readlink -f "$link")"
    case "$dir/" in "$incoming"/*) ;; *) die "the salts table of $archive points outside it: $dir" ;; esac
    if [ -n "$(find "$dir" -mindepth 1 -maxdepth 1 -type d ! -name detached -print -quit)" ]; then
        echo "sillage-restore: deleting the daily salts the archive holds" >&2
    fi
    find "$dir" -mindepth 1 -maxdepth 1 -type d ! -name detached -exec rm -rf {} +
    if [ -d "$dir/detached" ]; then
        find "$dir/detached" -mindepth 1 -maxdepth 1 -exec rm -rf {} +
    fi
done

if [ -e "$data" ]; then
    [ -d "$data" ] || die "$data exists and is not a folder"
    lock="$data/sillage.lock"
    if [ ! -e "$lock" ]; then
        touch "$lock" && chown --reference="$data" "$lock" && chmod 0640 "$lock"
    fi
    exec 9>>"$lock"
    if ! flock -n 9; then
        die "data folder $data is in use by a running sillage (pid $(cat "$data/sillage.lock" 2>/dev/null || echo '?')): stop it first"
    fi
    if [ -n "$force" ]; then
        rm -rf "$data"
    else
        aside="$data.before-restore-$stamp"
        mv "$data" "$aside"
        echo "sillage-restore: previous data folder kept as $aside" >&2
    fi
fi
# mktemp made the folder 0700: the archive's own "." entry set the mode it had.
mv "$incoming" "$data"
trap - EXIT
exec 9>&- 2>/dev/null || true

echo "sillage-restore: restored $archive into $data; start sillage now" >&2
