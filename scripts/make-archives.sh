#!/usr/bin/env bash
# Writes image archives of the fixture images in every layout the tool reads.
#
#   scripts/make-archives.sh OUTDIR [SET...]     SET: crlf php (default: both)
#
# Sets and their images (NAME: reference):
#   crlf  crlf-a: cc-fixture/crlf:a             crlf-b: cc-fixture/crlf:b          pair: crlf
#   php   php-laptop: cc-example/php-fcgid:laptop  php-ci: cc-example/php-fcgid:ci  pair: php
#
# Written to OUTDIR, per image NAME:
#   NAME.docker-save.tar                  `docker save -o` of this engine (20.10): legacy layout,
#                                         manifest.json + <id>/layer.tar + <id>.json + repositories
#   NAME.oci/                             `skopeo copy docker-archive:… oci:DIR:TAG`: OCI layout dir,
#                                         gzip layers, config converted by skopeo (its digest is not the image ID)
#   NAME.oci-archive.tar                  the same through `oci-archive:`
#   NAME.docker25.tar                     `docker save` of Docker 25+ with the default (graphdriver) store:
#                                         OCI layout, uncompressed layers, index.json -> manifest
#   NAME.docker25-containerd-gzip.tar     `docker save` of Docker 25+ with the containerd image store:
#   NAME.docker25-containerd-zstd.tar     index.json -> image index -> manifest, compressed layers
# and per pair PAIR:
#   PAIR.docker-save.tar                  `docker save -o F A B` (both images, shared layers once)
#   PAIR.docker25-containerd-gzip.tar     both images in one containerd-store layout
#
# All docker25* archives carry the docker-save manifest.json (Config and Layers
# as blobs/sha256/<digest>, RepoTags) and keep Docker's own config blob, so
# the config digest is the image ID as in `docker image inspect`.
# OUTDIR/archives.json describes every file (format, images, ids). A set is
# skipped when OUTDIR already holds it for the same image IDs.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

log() { printf 'make-archives: %s\n' "$*" >&2; }
die() { printf 'make-archives: error: %s\n' "$*" >&2; exit 1; }

[ $# -ge 1 ] || die "usage: $0 OUTDIR [crlf|php ...]"
mkdir -p "$1"
OUT=$(cd "$1" && pwd)
shift
sets=("$@")
[ "${#sets[@]}" -gt 0 ] || sets=(crlf php)

if ! command -v skopeo >/dev/null 2>&1 || ! docker info >/dev/null 2>&1; then
  bash "$ROOT/scripts/setup-host.sh"
fi

WORK=$(mktemp -d /var/tmp/cc-archives.XXXXXX)
bg_pids=()
cleanup() {
  local p
  for p in "${bg_pids[@]}"; do kill "$p" 2>/dev/null || true; done
  rm -rf "$WORK"
}
trap cleanup EXIT

image_id() { docker image inspect --format '{{.Id}}' "$1" 2>/dev/null; }

# Writes a Docker 25+ `docker save` layout into DIR from legacy `docker save`
# extractions (for the config bytes and, when uncompressed, the layers) and
# optionally skopeo OCI layouts (for compressed layer blobs, same order).
#   docker25_layout DIR STYLE REF LEGACY_DIR OCI_DIR|- [REF LEGACY_DIR OCI_DIR|- ...]
# STYLE: graphdriver (index.json -> manifest) | containerd (index.json -> index -> manifest)
docker25_layout() {
  node - "$@" <<'JS'
const fs = require('node:fs');
const path = require('node:path');
const crypto = require('node:crypto');

const [dir, style, ...rest] = process.argv.slice(2);
const blobs = path.join(dir, 'blobs', 'sha256');
fs.mkdirSync(blobs, { recursive: true });

const sha256File = (file) => {
  const h = crypto.createHash('sha256');
  const fd = fs.openSync(file, 'r');
  const buf = Buffer.alloc(1 << 20);
  let n;
  while ((n = fs.readSync(fd, buf, 0, buf.length, null)) > 0) h.update(buf.subarray(0, n));
  fs.closeSync(fd);
  return h.digest('hex');
};
const putFile = (src, hex) => {
  const dst = path.join(blobs, hex);
  if (!fs.existsSync(dst)) fs.copyFileSync(src, dst);
  return { digest: `sha256:${hex}`, size: fs.statSync(dst).size };
};
const putJson = (obj) => {
  const bytes = Buffer.from(JSON.stringify(obj));
  const hex = crypto.createHash('sha256').update(bytes).digest('hex');
  fs.writeFileSync(path.join(blobs, hex), bytes);
  return { digest: `sha256:${hex}`, size: bytes.length };
};
// "cc-fixture/crlf:a" -> "docker.io/cc-fixture/crlf:a", as containerd names images.
const fullName = (ref) => {
  const first = ref.split('/')[0];
  const hasHost = ref.includes('/') && (first.includes('.') || first.includes(':') || first === 'localhost');
  if (hasHost) return ref;
  return ref.includes('/') ? `docker.io/${ref}` : `docker.io/library/${ref}`;
};

const index = { schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json', manifests: [] };
const legacyManifest = [];
for (let i = 0; i < rest.length; i += 3) {
  const [ref, legacyDir, ociDir] = rest.slice(i, i + 3);
  const legacy = JSON.parse(fs.readFileSync(path.join(legacyDir, 'manifest.json'), 'utf8'))
    .find((m) => (m.RepoTags || []).includes(ref));
  if (!legacy) throw new Error(`${ref} not in ${legacyDir}/manifest.json`);
  const configBytes = fs.readFileSync(path.join(legacyDir, legacy.Config));
  const config = JSON.parse(configBytes);
  const configDesc = putFile(path.join(legacyDir, legacy.Config), legacy.Config.replace(/\.json$/, ''));

  let layers;
  if (ociDir === '-') {
    layers = legacy.Layers.map((l) => {
      const src = path.join(legacyDir, l);
      return { mediaType: 'application/vnd.oci.image.layer.v1.tar', ...putFile(src, sha256File(src)) };
    });
  } else {
    const ociIndex = JSON.parse(fs.readFileSync(path.join(ociDir, 'index.json'), 'utf8'));
    const m = JSON.parse(fs.readFileSync(path.join(ociDir, 'blobs', 'sha256', ociIndex.manifests[0].digest.slice(7)), 'utf8'));
    if (m.layers.length !== legacy.Layers.length) throw new Error(`${ref}: layer count differs between ${ociDir} and ${legacyDir}`);
    layers = m.layers.map((l) => ({ mediaType: l.mediaType, ...putFile(path.join(ociDir, 'blobs', 'sha256', l.digest.slice(7)), l.digest.slice(7)) }));
  }
  const manifest = {
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    config: { mediaType: 'application/vnd.oci.image.config.v1+json', ...configDesc },
    layers,
  };
  const manifestDesc = putJson(manifest);
  const platform = { architecture: config.architecture, os: config.os };
  const annotations = {
    'io.containerd.image.name': fullName(ref),
    'org.opencontainers.image.ref.name': ref.slice(ref.lastIndexOf(':') + 1),
  };
  if (style === 'containerd') {
    const imageIndex = {
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.index.v1+json',
      manifests: [{ mediaType: manifest.mediaType, ...manifestDesc, platform }],
    };
    index.manifests.push({ mediaType: imageIndex.mediaType, ...putJson(imageIndex), annotations });
  } else if (style === 'graphdriver') {
    index.manifests.push({ mediaType: manifest.mediaType, ...manifestDesc, annotations });
  } else {
    throw new Error(`unknown style ${style}`);
  }
  legacyManifest.push({
    Config: `blobs/sha256/${configDesc.digest.slice(7)}`,
    RepoTags: [ref],
    Layers: layers.map((l) => `blobs/sha256/${l.digest.slice(7)}`),
  });
}
fs.writeFileSync(path.join(dir, 'index.json'), JSON.stringify(index));
fs.writeFileSync(path.join(dir, 'manifest.json'), JSON.stringify(legacyManifest));
fs.writeFileSync(path.join(dir, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
JS
}

# tar DIR into FILE with entry names like docker save's (no "./" prefix).
tar_layout() {
  tar -C "$1" --numeric-owner --owner=0 --group=0 --sort=name -cf "$2" blobs index.json manifest.json oci-layout
}

# archive_image NAME REF: every single-image archive of REF; leaves the
# extracted legacy save in $WORK/NAME/legacy for the pair step.
archive_image() {
  local n=$1 r=$2 tag=${2##*:} w=$WORK/$1
  mkdir -p "$w/legacy"
  docker save -o "$OUT/$n.docker-save.tar" "$r"
  tar -C "$w/legacy" -xf "$OUT/$n.docker-save.tar"
  rm -rf "$OUT/$n.oci" "$OUT/$n.oci-archive.tar"
  skopeo copy -q "docker-archive:$OUT/$n.docker-save.tar" "oci:$OUT/$n.oci:$tag"
  # The source layers are gzip already: skopeo reuses the blobs, no recompression.
  skopeo copy -q "oci:$OUT/$n.oci:$tag" "oci-archive:$OUT/$n.oci-archive.tar:$tag"
  skopeo copy -q --dest-compress-format zstd "oci:$OUT/$n.oci:$tag" "oci:$w/zstd:$tag"

  docker25_layout "$w/d25" graphdriver "$r" "$w/legacy" -
  tar_layout "$w/d25" "$OUT/$n.docker25.tar"
  docker25_layout "$w/d25-gzip" containerd "$r" "$w/legacy" "$OUT/$n.oci"
  tar_layout "$w/d25-gzip" "$OUT/$n.docker25-containerd-gzip.tar"
  docker25_layout "$w/d25-zstd" containerd "$r" "$w/legacy" "$w/zstd"
  tar_layout "$w/d25-zstd" "$OUT/$n.docker25-containerd-zstd.tar"
  rm -rf "$w/d25" "$w/d25-gzip" "$w/d25-zstd" "$w/zstd"
  log "$n ($r) written"
}

# archive_set SET PAIR NAME_A REF_A NAME_B REF_B
archive_set() {
  local set=$1 pair=$2 na=$3 ra=$4 nb=$5 rb=$6 ida idb stamp pid_pair pid_a pid_b
  ida=$(image_id "$ra") || true
  idb=$(image_id "$rb") || true
  if [ -z "$ida" ] || [ -z "$idb" ]; then
    log "building missing fixture images for $set"
    bash "$ROOT/scripts/build-fixtures.sh" "$([ "$set" = php ] && echo php-fcgid || echo "$set")"
    ida=$(image_id "$ra"); idb=$(image_id "$rb")
  fi
  stamp="$ra=$ida $rb=$idb"
  if [ -f "$OUT/.$set.stamp" ] && [ "$(cat "$OUT/.$set.stamp")" = "$stamp" ]; then
    log "$set: up to date"
    return 0
  fi
  rm -f "$OUT/.$set.stamp"
  log "$set: writing archives of $ra and $rb"

  # Compression (skopeo) is single-threaded: both images and the pair's
  # legacy save run side by side.
  docker save -o "$OUT/$pair.docker-save.tar" "$ra" "$rb" &
  pid_pair=$!
  archive_image "$na" "$ra" &
  pid_a=$!
  archive_image "$nb" "$rb" &
  pid_b=$!
  bg_pids+=("$pid_pair" "$pid_a" "$pid_b")
  wait "$pid_a" || die "archives of $ra failed"
  wait "$pid_b" || die "archives of $rb failed"
  wait "$pid_pair" || die "docker save of $ra $rb failed"

  rm -rf "$WORK/$pair-d25"
  docker25_layout "$WORK/$pair-d25" containerd \
    "$ra" "$WORK/$na/legacy" "$OUT/$na.oci" \
    "$rb" "$WORK/$nb/legacy" "$OUT/$nb.oci"
  tar_layout "$WORK/$pair-d25" "$OUT/$pair.docker25-containerd-gzip.tar"
  rm -rf "${WORK:?}/$na" "${WORK:?}/$nb" "${WORK:?}/$pair-d25"
  chmod 0644 "$OUT"/*.tar
  echo "$stamp" >"$OUT/.$set.stamp"
  log "$pair (both images) written"
}

for set in "${sets[@]}"; do
  case $set in
    crlf) archive_set crlf crlf crlf-a cc-fixture/crlf:a crlf-b cc-fixture/crlf:b ;;
    php) archive_set php php php-laptop cc-example/php-fcgid:laptop php-ci cc-example/php-fcgid:ci ;;
    *) die "unknown set '$set' (known: crlf php)" ;;
  esac
done

# archives.json: what each file holds, for tests to iterate over.
node - "$OUT" <<'JS'
const fs = require('node:fs');
const path = require('node:path');
const out = process.argv[2];
const sets = {
  crlf: { pair: 'crlf', images: { 'crlf-a': 'cc-fixture/crlf:a', 'crlf-b': 'cc-fixture/crlf:b' } },
  php: { pair: 'php', images: { 'php-laptop': 'cc-example/php-fcgid:laptop', 'php-ci': 'cc-example/php-fcgid:ci' } },
};
const formats = {
  'docker-save.tar': 'docker-legacy',
  'oci': 'oci-layout-dir',
  'oci-archive.tar': 'oci-archive',
  'docker25.tar': 'docker25-graphdriver',
  'docker25-containerd-gzip.tar': 'docker25-containerd-gzip',
  'docker25-containerd-zstd.tar': 'docker25-containerd-zstd',
};
const files = [];
const ids = {};
for (const [set, { pair, images }] of Object.entries(sets)) {
  const stamp = path.join(out, `.${set}.stamp`);
  if (!fs.existsSync(stamp)) continue;
  for (const kv of fs.readFileSync(stamp, 'utf8').trim().split(' ')) {
    const [ref, id] = kv.split('=');
    ids[ref] = id;
  }
  for (const [name, ref] of Object.entries(images)) {
    for (const [suffix, format] of Object.entries(formats)) {
      files.push({ file: `${name}.${suffix}`, format, set, images: [ref] });
    }
  }
  const refs = Object.values(images);
  files.push({ file: `${pair}.docker-save.tar`, format: 'docker-legacy', set, images: refs });
  files.push({ file: `${pair}.docker25-containerd-gzip.tar`, format: 'docker25-containerd-gzip', set, images: refs });
}
fs.writeFileSync(path.join(out, 'archives.json'), JSON.stringify({ imageIds: ids, files }, null, 2) + '\n');
JS
log "done: $OUT"
