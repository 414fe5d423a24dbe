#!/usr/bin/env bash
# Loads samples/debian-packages.ndjson (300 English and 200 Chinese Debian package descriptions) into a running node,
# into indices whose title and body are semantic_text fields: no pipeline, the node embeds them by itself, and prints
# what it did. Usage: scripts/load-sample.sh [base_url]
#
# English and Chinese go to their own index, each with the model for its language:
#   debian-packages-en  all-minilm-l6-v2
#   debian-packages-zh  bge-small-zh-v1.5
# and the alias debian-packages covers both. The title gets one passage (chunking: false), the body passages of up to
# 200 tokens (the default chunking). Run it again: unchanged texts are not embedded again, which the "texts embedded"
# line shows.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
base=${1:-http://127.0.0.1:${SEMANTIC_NODE_PORT:-9200}}
sample="$root/samples/debian-packages.ndjson"

call() { # method path [body-file or -]
  local method=$1 path=$2
  if [ $# -ge 3 ]; then
    curl -sS -X "$method" "$base$path" -H 'Content-Type: application/json' --data-binary "@$3"
  else
    curl -sS -X "$method" "$base$path"
  fi
}

number() { # key: the first "key":<number> of stdin, or 0
  { grep -o "\"$1\":[0-9]*" || echo ":0"; } | head -n 1 | cut -d: -f2
}

texts_embedded() {
  call GET '/_plugins/_semantic/stats?filter_path=nodes.*.models.*.texts' | grep -o '"texts":[0-9]*' | awk -F: '{ s += $2 } END { print s + 0 }'
}

command -v curl >/dev/null || { echo "load-sample.sh needs curl" >&2; exit 1; }
[ -f "$sample" ] || { echo "no sample at $sample (scripts/make-sample.py builds it)" >&2; exit 1; }
call GET / >/dev/null 2>&1 || { echo "no OpenSearch node answers at $base (start one with scripts/run-node.sh)" >&2; exit 1; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

setup() { # lang model
  local lang=$1 model=$2 name="debian-packages-$1"
  if [ "$(curl -s -o /dev/null -w '%{http_code}' "$base/$name")" = 200 ]; then
    echo "index $name exists: its documents are indexed again"
    return
  fi
  # One mapping line per text field: the node embeds them at ingest, with the model for the language.
  cat > "$tmp/index.json" <<JSON
{"settings": {"number_of_shards": 1, "number_of_replicas": 0},
 "aliases": {"debian-packages": {}},
 "mappings": {"properties": {
   "package": {"type": "keyword"},
   "lang": {"type": "keyword"},
   "title": {"type": "semantic_text", "model": "$model", "chunking": false},
   "body": {"type": "semantic_text", "model": "$model"}}}}
JSON
  call PUT "/$name" "$tmp/index.json" | grep -q '"acknowledged":true' \
    || { echo "cannot create index $name:" >&2; call PUT "/$name" "$tmp/index.json" >&2; exit 1; }
  echo "created index $name (semantic_text fields title and body, model $model)"
}

load() { # lang
  local lang=$1 name="debian-packages-$1" response failed took
  # The sample's action lines carry ids "en-<package>" and "zh-<package>"; each pair goes to its language's index.
  awk -v lang="$lang" 'NR % 2 == 1 { keep = index($0, "\"_id\": \"" lang "-") > 0 } keep' "$sample" > "$tmp/$lang.ndjson"
  response=$(curl -sS -X POST "$base/$name/_bulk?refresh=true&filter_path=took,ingest_took,errors,items.*.error.reason" \
    -H 'Content-Type: application/x-ndjson' --data-binary "@$tmp/$lang.ndjson")
  failed=$(printf '%s' "$response" | { grep -o '"reason"' || true; } | wc -l | tr -d ' ')
  took=$(printf '%s' "$response" | number took)
  echo "$name: $(($(wc -l < "$tmp/$lang.ndjson") / 2)) documents sent: $(printf '%s' "$response" | number ingest_took) ms embedding, $took ms indexing, $failed failed"
  if [ "$failed" != 0 ]; then
    printf '%s\n' "$response" | grep -o '"reason":"[^"]*"' | sort | uniq -c | head -n 5 >&2
  fi
}

before=$(texts_embedded)
setup en all-minilm-l6-v2
setup zh bge-small-zh-v1.5
load en
load zh
after=$(texts_embedded)

for lang in en zh; do
  name="debian-packages-$lang"
  docs=$(call GET "/$name/_count" | number count)
  passages=$(curl -sS "$base/$name/_search?size=0&filter_path=aggregations.p.doc_count" -H 'Content-Type: application/json' \
    -d '{"aggs": {"p": {"nested": {"path": "body_semantic.passages"}}}}' | number doc_count)
  echo "$name: $docs documents, $passages body passages"
done
echo "texts embedded by this load: $((after - before))"
echo "search them by meaning, e.g.:"
echo "  curl -s '$base/debian-packages-en/_search?filter_path=hits.hits._source.title' -H 'Content-Type: application/json' \\"
echo "    -d '{\"_source\": [\"title\"], \"query\": {\"semantic\": {\"field\": \"body\", \"query\": \"install and upgrade software from the terminal\"}}}'"
