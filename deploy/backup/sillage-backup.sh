#!/usr/bin/env bash
# sillage-backup.sh — consistent backup of an embedded-engine data folder.
#
# The embedded ClickHouse engine runs inside the sillage process and writes
# its files while it runs, so a copy is consistent only while nothing runs on
# the folder. This script proves that by taking the folder's lock
# (DATA/sillage.lock, the same flock a running sillage holds) and keeps it
# for the whole copy, so no sillage can start on the folder meanwhile.
#
# Usage:
#   sillage-backup.sh [--data DIR] [--output DIR] [--stop-service UNIT] [--keep N]
#
#   --data DIR            data folder (default $SILLAGE_DATA or /var/lib/sillage)
#   --output DIR          where archives go (default /var/backups/sillage)
#   --stop-service UNIT   stop this systemd unit first and start it again as soon
#                         as the folder is copied (a local copy, instant with
#                         reflinks on XFS/Btrfs); compression happens afterwards
#   --keep N              keep the N newest archives in --output, delete older ones
#
# Output: OUTPUT/sillage-YYYYmmddTHHMMSSZ.tar.gz and a .sha256 beside it; the
# archive's path is printed on stdout. The WAL (DATA/collector) and the
# engine (DATA/engine) are both inside; the lock file, the admin socket and
# the rows of the daily salts are left out: a salt is deleted two days after
# its day so that a visitor id can never be recomputed, and an archive kept
# longer must not bring it back (the restored sillage draws a new one).
# Restore with sillage-restore.sh.
#
# While sillage is stopped, events sent by browsers are not received (the
# tracker does not retry): run it at a quiet hour. A future `sillage backup`
# will take a hot backup through the admin socket with the engine's BACKUP.
set -euo pipefail
umask 077 # archives hold the analytics data: readable by their owner only

data="${SILLAGE_DATA:-/var/lib/sillage}"
output="/var/backups/sillage"
unit=""
keep=0

die() { echo "sillage-backup: $*" >&2; exit 1; }
usage() { sed -n '2,/^set -euo/p' "$0" | sed -e '$d' -e 's/^# \{0,1\}//'; exit "${1:-0}"; }

while [ $# -gt 0 ]; do
    case "$1" in
    --data) data="${2:?--data needs a folder}"; shift 2 ;;
    --output) output="${2:?--output needs a folder}"; shift 2 ;;
    --stop-service) unit="${2:?--stop-service needs a unit name}"; shift 2 ;;
    --keep) keep="${2:?--keep needs a number}"; shift 2 ;;
    -h | --help) usage 0 ;;
    *) echo "sillage-backup: unknown argument $1" >&2; usage 2 ;;
    esac
done
case "$keep" in '' | *[!0-9]*) die "--keep needs a number, got $keep" ;; esac
command -v flock >/dev/null || die "flock not found (Debian package util-linux)"

[ -d "$data" ] || die "data folder $data does not exist"
data="$(cd "$data" && pwd -P)"
[ -d "$data/engine" ] || die "$data has no engine/ folder: not a sillage data folder (server mode keeps its data in ClickHouse: use BACKUP there)"
mkdir -p "$output"
output="$(cd "$output" && pwd -P)"
case "$output/" in "$data"/*) die "--output must be outside the data folder" ;; esac

stamp="$(date -u +%Y%m%dT%H%M%SZ)"
archive="$output/sillage-$stamp.tar.gz"
staging=""
restart=""

cleanup() {
    [ -n "$staging" ] && rm -rf "$staging"
    rm -f "$archive.part"
    if [ -n "$restart" ]; then
        systemctl start "$unit" || echo "sillage-backup: could not start $unit again: start it by hand" >&2
    fi
}
trap cleanup EXIT

if [ -n "$unit" ]; then
    command -v systemctl >/dev/null || die "--stop-service needs systemctl"
    if systemctl is-active --quiet "$unit"; then
        echo "sillage-backup: stopping $unit (it flushes its write-ahead log first)" >&2
        systemctl stop "$unit"
        restart=1
    fi
fi

# The lock: fails at once if a sillage process holds the folder. (Created
# with the folder's owner if missing, so sillage can still open it later.)
lock="$data/sillage.lock"
if [ ! -e "$lock" ]; then
    touch "$lock" && chown --reference="$data" "$lock" && chmod 0640 "$lock"
fi
exec 9>>"$lock"
if ! flock -n 9; then
    die "data folder $data is in use by a running sillage (pid $(cat "$data/sillage.lock" 2>/dev/null || echo '?')): stop it first, or use --stop-service UNIT"
fi

tar_opts=(--numeric-owner --exclude=./sillage.lock --exclude=./admin.sock)

# The salts table's parts (folders beside its format_version.txt, and any
# under detached/); the table itself stays, empty.
salt_parts() { # ROOT: prints the parts' paths relative to ROOT, NUL-separated
    local root="$1" link dir
    for link in "$root"/engine/data/*/salts; do
        [ -e "$link" ] || continue
        dir="$(readlink -f "$link")"
        find "$dir" -mindepth 1 -maxdepth 1 -type d ! -name detached -printf "${dir#"$root"/}/%f\0"
        if [ -d "$dir/detached" ]; then
            find "$dir/detached" -mindepth 1 -maxdepth 1 -printf "${dir#"$root"/}/detached/%f\0"
        fi
    done
}
mapfile -d '' salts < <(salt_parts "$data")
for p in "${salts[@]}"; do
    tar_opts+=("--exclude=./$p")
done

if [ -n "$restart" ]; then
    # Copy locally under the lock, give the folder back, then compress.
    staging="$(mktemp -d "$output/.staging-$stamp.XXXXXX")"
    cp -a --reflink=auto "$data/." "$staging/"
    for p in "${salts[@]}"; do rm -rf "${staging:?}/$p"; done
    flock -u 9
    exec 9>&-
    systemctl start "$unit"
    restart=""
    echo "sillage-backup: $unit started again; compressing the copy" >&2
    tar -C "$staging" "${tar_opts[@]}" -czf "$archive.part" .
else
    tar -C "$data" "${tar_opts[@]}" -czf "$archive.part" .
    flock -u 9
    exec 9>&-
fi

mv "$archive.part" "$archive"
(cd "$output" && sha256sum "$(basename "$archive")" >"$(basename "$archive").sha256")

if [ "$keep" -gt 0 ]; then
    # Archive names sort by date; delete all but the newest $keep.
    mapfile -t old < <(find "$output" -maxdepth 1 -name 'sillage-*.tar.gz' -printf '%f\n' | sort -r | tail -n +"$((keep + 1))")
    for f in "${old[@]}"; do
        rm -f "$output/$f" "$output/$f.sha256"
    done
fi

echo "$archive"
