#!/bin/sh
# Point an overlay at one release: every SmartRetail image becomes <registry>/smartretail-<service>:<tag>
# (and so the migration Job becomes migrate-<tag>). Edits <overlay>/kustomization.yaml in place;
# CI runs it on its checkout before `kubectl apply -k`, ops run it to deploy a given commit.
# Usage: deploy/set-release.sh deploy/k8s/overlays/prod ghcr.io/smartretail-ai 3f2c1e0...
set -eu
if [ $# -ne 3 ]; then
    echo "usage: $0 <overlay dir> <registry, e.g. ghcr.io/owner> <tag, e.g. a commit sha>" >&2
    exit 2
fi
overlay="$1/kustomization.yaml"
registry="${2%/}"
tag="$3"
# A Job name must be a DNS label: lower-case letters, digits, '-' and '.'.
case "$tag" in
    *[!a-z0-9.-]* | "") echo "tag '$tag' must be lower-case letters, digits, '.' or '-'" >&2; exit 2 ;;
esac
[ -f "$overlay" ] || { echo "no $overlay" >&2; exit 2; }
tmp="$overlay.tmp.$$"
# Every `images:` entry sits on three lines: name, newName, newTag.
awk -v registry="$registry" -v tag="$tag" '
    /^  - name: smartretail-/ { image = $3; print; next }
    image != "" && /^    newName:/ { print "    newName: " registry "/" image; next }
    image != "" && /^    newTag:/ { print "    newTag: \"" tag "\""; image = ""; next }
    { print }
' "$overlay" > "$tmp"
mv "$tmp" "$overlay"
echo "$overlay: images -> $registry/smartretail-<service>:$tag"
