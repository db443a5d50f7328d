#!/bin/sh
# A backup of the hocai database: pg_dump in custom format (compressed, restorable table
# by table with pg_restore), checked by listing it, older ones pruned. See docs/DEPLOY.md.
#
#   PGHOST=127.0.0.1 PGUSER=hocai PGDATABASE=hocai deploy/backup.sh
#   # with Compose, pg_dump runs inside the postgres container:
#   PG_DUMP="docker compose exec -T postgres pg_dump -U hocai" \
#   PG_RESTORE="docker compose exec -T postgres pg_restore" PGDATABASE=hocai deploy/backup.sh
#
# BACKUP_DIR (default ./backups) and KEEP_DAYS (default 14) choose where and how long.
# Prints the file written and its size; exits non-zero if anything failed.
set -eu
BACKUP_DIR="${BACKUP_DIR:-./backups}"
KEEP_DAYS="${KEEP_DAYS:-14}"
DB="${PGDATABASE:-hocai}"
PG_DUMP="${PG_DUMP:-pg_dump}"
PG_RESTORE="${PG_RESTORE:-pg_restore}"

mkdir -p "$BACKUP_DIR"
file="$BACKUP_DIR/$DB-$(date -u +%Y%m%dT%H%M%SZ).dump"
# $PG_DUMP and $PG_RESTORE are split into words on purpose (a command with arguments).
$PG_DUMP --format=custom --no-owner --no-privileges "$DB" > "$file.part"
$PG_RESTORE --list < "$file.part" > /dev/null  # a dump pg_restore cannot read is no backup
mv "$file.part" "$file"
find "$BACKUP_DIR" -name "$DB-*.dump" -mtime +"$KEEP_DAYS" -delete
echo "$file $(du -h "$file" | cut -f1)"
