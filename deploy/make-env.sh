#!/bin/sh
# Create the docker compose .env from .env.example, filling every empty secret with 32 random bytes
# (hex, so they are safe inside DATABASE_URL). Refuses to overwrite an existing file.
# Usage: deploy/make-env.sh [target]   (default: .env at the repository root)
set -eu
root="$(cd "$(dirname "$0")/.." && pwd)"
target="${1:-$root/.env}"
if [ -e "$target" ]; then
    echo "$target already exists; not overwriting it" >&2
    exit 1
fi
random_hex() {
    od -An -N32 -tx1 /dev/urandom | tr -d ' \n'
}
umask 077
while IFS= read -r line || [ -n "$line" ]; do
    case "$line" in
        POSTGRES_PASSWORD= | JWT_SECRET= | SERVICE_TOKEN_SECRET= | PII_KEY=)
            printf '%s%s\n' "$line" "$(random_hex)" ;;
        *)
            printf '%s\n' "$line" ;;
    esac
done < "$root/.env.example" > "$target"
echo "wrote $target"
