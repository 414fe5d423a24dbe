#!/usr/bin/env bash
# Loads samples/debian-packages.ndjson (300 English and 200 Chinese Debian package descriptions) into a running node
# through semantic_embed pipelines, and prints what it did. Usage: scripts/load-sample.sh [base_url]
#
# English and Chinese go to their own index, each with the model for its language and its own default pipeline:
#   debian-packages-en  all-minilm-l6-v2     pipeline debian-packages-en
#   debian-packages-zh  bge-small-zh-v1.5    pipeline debian-packages-zh
# and the alias debian-packages covers both. Each document gets one vector for its title (title_vec) and nested
# passages with vectors for its body (body_passages). Run it again: unchanged texts are not embedded again
# (skip_existing), which the "texts embedded" line shows.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
base=${1:-http://127.0.0.1:${SEMANTIC_NODE_PORT:-9200}}
sample="$root/samples/debian-packages.ndjson"

# How vector fields are mapped: "semantic_vector" (searchable with the semantic query), or "float" to keep the vectors
# in _source only (not indexed, no doc values), e.g. on a build without the semantic_vector field type.
VECTOR_FIELD_TYPE=${SEMANTIC_SAMPLE_VECTOR_TYPE:-semantic_vector}

vector_mapping() { # model
  if [ "$VECTOR_FIELD_TYPE" = semantic_vector ]; then
    printf '{"type": "semantic_vector", "model": "%s"}' "$1"
  else
    printf '{"type": "float", "index": false, "doc_values": false}'
  fi
}

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
  local lang=$1 model=$2 name="debian-packages-$1" vector
  vector=$(vector_mapping "$model")
  # Two processors: the title gets one vector, the body nested passages of up to 200 tokens, 40 repeated between
  # neighbours. skip_existing keeps the vectors of texts that did not change when a document is indexed again.
  cat > "$tmp/pipeline.json" <<JSON
{"description": "sample: embeds the title and the passages of the body of $lang Debian package descriptions with $model",
 "processors": [
   {"semantic_embed": {"field_map": {"title": "title_vec"}, "model": "$model", "skip_existing": true}},
   {"semantic_embed": {"field_map": {"body": "body_passages"}, "model": "$model", "skip_existing": true,
                       "chunking": {"max_tokens": 200, "overlap_tokens": 40}}}]}
JSON
  call PUT "/_ingest/pipeline/$name" "$tmp/pipeline.json" | grep -q '"acknowledged":true' \
    || { echo "cannot create pipeline $name:" >&2; call PUT "/_ingest/pipeline/$name" "$tmp/pipeline.json" >&2; exit 1; }

  if [ "$(curl -s -o /dev/null -w '%{http_code}' "$base/$name")" = 200 ]; then
    echo "index $name exists: its documents are indexed again"
    return
  fi
  # The *_hash fields hold what skip_existing compares: kept in _source only.
  cat > "$tmp/index.json" <<JSON
{"settings": {"index.default_pipeline": "$name", "number_of_shards": 1, "number_of_replicas": 0},
 "aliases": {"debian-packages": {}},
 "mappings": {"properties": {
   "package": {"type": "keyword"},
   "lang": {"type": "keyword"},
   "title": {"type": "text"},
   "title_vec": $vector,
   "title_vec_hash": {"type": "keyword", "index": false, "doc_values": false},
   "body": {"type": "text"},
   "body_passages": {"type": "nested", "properties": {
     "text": {"type": "text"},
     "offset": {"type": "integer"},
     "vector": $vector}},
   "body_passages_hash": {"type": "keyword", "index": false, "doc_values": false}}}}
JSON
  call PUT "/$name" "$tmp/index.json" | grep -q '"acknowledged":true' \
    || { echo "cannot create index $name:" >&2; call PUT "/$name" "$tmp/index.json" >&2; exit 1; }
  echo "created index $name (model $model, vector fields: $VECTOR_FIELD_TYPE)"
}

load() { # lang
  local lang=$1 name="debian-packages-$1" response failed took
  # The sample's action lines carry ids "en-<package>" and "zh-<package>"; each pair goes to its language's index.
  awk -v lang="$lang" 'NR % 2 == 1 { keep = index($0, "\"_id\": \"" lang "-") > 0 } keep' "$sample" > "$tmp/$lang.ndjson"
  response=$(curl -sS -X POST "$base/$name/_bulk?refresh=true&filter_path=took,ingest_took,errors,items.*.error.reason" \
    -H 'Content-Type: application/x-ndjson' --data-binary "@$tmp/$lang.ndjson")
  failed=$(printf '%s' "$response" | { grep -o '"reason"' || true; } | wc -l | tr -d ' ')
  took=$(printf '%s' "$response" | number took)
  echo "$name: $(($(wc -l < "$tmp/$lang.ndjson") / 2)) documents sent: $(printf '%s' "$response" | number ingest_took) ms in the pipeline (embedding), $took ms indexing, $failed failed"
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
    -d '{"aggs": {"p": {"nested": {"path": "body_passages"}}}}' | number doc_count)
  echo "$name: $docs documents, $passages body passages"
done
echo "texts embedded by this load: $((after - before))"
echo "search them by meaning, e.g.:"
echo "  curl -s '$base/debian-packages-en/_search?filter_path=hits.hits._source.title' -H 'Content-Type: application/json' \\"
echo "    -d '{\"_source\": [\"title\"], \"query\": {\"semantic\": {\"field\": \"title_vec\", \"query\": \"install and upgrade software from the terminal\"}}}'"
