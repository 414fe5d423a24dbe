#!/usr/bin/env bash
# Runs the benchmark on one node at a time: each side gets a fresh data dir, a node started with heap 2g on :9200,
# bench.py, then the node is stopped; then compare.py prints the table. Run from the project root:
#   DATA=/path/to/data bench/peer/run_all.sh [peer ours]   one pass, in the order given
#   DATA=/path/to/data bench/peer/run_all.sh --goals        the targets: 2 passes (peer, ours | ours, peer)
#                                                                     with queries paced at 10/s under load, then
#                                                                     compare.py --goals; exit 0 only if all hold
# Env: DATA (required: <name>-corpus.jsonl + <name>-queries.jsonl, or corpus.jsonl + queries.jsonl; see README),
#      SET (the <name>, when DATA holds several sets), RESULTS (default $BENCH_DIR/results; per side <side>.json and
#      logs), BENCH_DIR (node homes, default /tmp/peerbench), BENCH_ARGS (extra bench.py options, e.g.
#      "--load-mode paced --paced-qps 10" or "--max-docs 600 --max-queries 100").
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
export PROJECT=${PROJECT:-$PWD}
BENCH_DIR=${BENCH_DIR:-/tmp/peerbench}; export BENCH_DIR
[ -n "${DATA:-}" ] && [ -d "$DATA" ] || { echo "set DATA=<dir> holding the corpus and queries (see README)" >&2; exit 2; }
[ -x "$BENCH_DIR/ours/opensearch-3.6.0/bin/opensearch" ] || { echo "run prepare.sh first (no node homes under $BENCH_DIR)" >&2; exit 2; }
RESULTS=${RESULTS:-$BENCH_DIR/results}; mkdir -p "$RESULTS"

if [ "${1:-}" = "--goals" ]; then
  BENCH_ARGS="--phases setup,ingest,idle,extras,load --load-mode paced --paced-qps 10 ${BENCH_ARGS:-}"
  export BENCH_ARGS DATA
  [ -n "${SET:-}" ] && export SET
  RESULTS=$RESULTS/pass1 "$here/run_all.sh" peer ours
  RESULTS=$RESULTS/pass2 "$here/run_all.sh" ours peer
  python3 "$here/compare.py" "$RESULTS/pass1" "$RESULTS/pass2" > "$RESULTS/summary.md"
  echo "== both passes: $RESULTS/summary.md"
  exec python3 "$here/compare.py" --goals "$RESULTS/pass1" "$RESULTS/pass2"
fi

read -r -a bench_args <<< "${BENCH_ARGS:-}"
[ -n "${SET:-}" ] && bench_args+=(--set "$SET")
sides=("$@"); [ ${#sides[@]} -eq 0 ] && sides=(peer ours)
for side in "${sides[@]}"; do
  # fresh data dir (the peer keeps only its pre-seeded DJL PyTorch cache)
  find "$BENCH_DIR/$side-data" -mindepth 1 -maxdepth 1 ! -name ml_cache -exec rm -rf {} +
  [ -d "$BENCH_DIR/$side-data/ml_cache" ] && find "$BENCH_DIR/$side-data/ml_cache" -mindepth 1 -maxdepth 1 ! -name pytorch -exec rm -rf {} +
  # other processes on the machine (CPU time before/after): a busy neighbour skews latency figures
  ps -eo pid,user,time,pcpu,comm --sort=-time | head -8 > "$RESULTS/$side-neighbours-before.txt"
  "$here/node.sh" start "$side" | tee "$RESULTS/$side-node.log"
  rc=0
  python3 "$here/bench.py" "$side" --data "$DATA" --out "$RESULTS/$side.json" \
    --model-zip "$BENCH_DIR/model/all-minilm-l6-v2-onnx.zip" --model-sha256 "$(cat "$BENCH_DIR/model/sha256")" \
    ${bench_args[@]+"${bench_args[@]}"} 2>&1 | tee "$RESULTS/$side-bench.log" || rc=$?
  cp "$BENCH_DIR/$side/logs/peerbench-$side.log" "$RESULTS/$side-opensearch.log" 2>/dev/null || true
  ps -eo pid,user,time,pcpu,comm --sort=-time | head -8 > "$RESULTS/$side-neighbours-after.txt"
  "$here/node.sh" stop "$side"
done
python3 "$here/compare.py" "$RESULTS" | tee "$RESULTS/summary.md"
