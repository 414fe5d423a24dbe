#!/usr/bin/env bash
# The end of the README's run command: loads the bundled sample (Debian package descriptions, English and Chinese)
# into indices with semantic_text fields, then shows a semantic search, a hybrid search with sentence highlights and
# cited answers from the extractive answerer,
# in English and in Chinese. Everything runs on the node: no network beyond it.   Usage: scripts/demo.sh [base_url]
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
base=${1:-http://127.0.0.1:${SEMANTIC_NODE_PORT:-9200}}

post() { # path json
  curl -sS -X POST "$base$1" -H 'Content-Type: application/json' -d "$2"
}

# Pretty-prints with python3 when there is one; the raw JSON otherwise.
show() { # kind(hits|answer)
  if command -v python3 >/dev/null; then
    python3 -c '
import json, sys
kind, body = sys.argv[1], json.load(sys.stdin)
if "error" in body and kind == "hits":
    print("  error:", json.dumps(body["error"])[:400]); sys.exit()
if kind == "hits":
    for h in body["hits"]["hits"]:
        print("  %.3f  %-28s %s" % (h["_score"], h["_source"]["package"], h["_source"]["title"]))
        for p in h.get("inner_hits", {}).get("body", {}).get("hits", {}).get("hits", [])[:1]:
            print("         best passage (offset %d, score %.3f): %s" % (p["_source"].get("offset", 0), p["_score"], p["_source"]["text"][:90].replace("\n", " ")))
        for s in h.get("fields", {}).get("_semantic_sentences.body", [])[:1]:
            print("         closest sentence (chars %d-%d, score %.3f): %s" % (s["start"], s["end"], s["score"], s["text"][:90].replace("\n", " ")))
else:
    print("  answer:", body.get("answer"))
    if body.get("error"): print("  error:", body["error"])
    for c in body.get("citations", []):
        print("   [%d] %s/%s (score %.3f): %s" % (c["n"], c["_index"], c["_id"], c["score"], c["passage"][:110].replace("\n", " ")))
' "$1"
  else
    cat; echo
  fi
}

echo
echo "== Loading the bundled sample into semantic_text fields (the node embeds them itself)"
"$root/scripts/load-sample.sh" "$base"

search() { # index question
  echo
  echo "== Semantic search on $1 (best passage of each description): \"$2\""
  post "/$1/_search" "{\"size\": 3, \"_source\": [\"package\", \"title\"],
    \"query\": {\"semantic\": {\"field\": \"body\", \"query\": \"$2\", \"k\": 3}}}" | show hits
}

hybrid() { # index question
  echo
  echo "== Hybrid search on $1 (BM25 and semantic fused in one _search, sentence highlights): \"$2\""
  post "/$1/_search" "{\"size\": 3, \"_source\": [\"package\", \"title\"],
    \"query\": {\"semantic\": {\"field\": \"body\", \"query\": \"$2\", \"hybrid\": {}}},
    \"highlight\": {\"fields\": {\"body\": {\"type\": \"semantic_sentences\", \"number_of_fragments\": 1}}}}" | show hits
}

ask() { # index question
  echo
  echo "== POST /$1/_rag (extractive answerer, hybrid retrieval on the semantic_text field): \"$2\""
  post "/$1/_rag" "{\"question\": \"$2\", \"field\": \"body\", \"k\": 3}" | show answer
}

search debian-packages-en "a program to read PDF documents"
search debian-packages-zh "压缩和解压文件"
hybrid debian-packages-en "a simple text editor"
ask debian-packages-en "Which program scans e-mail for viruses?"
ask debian-packages-zh "哪个工具可以快速压缩文件?"
