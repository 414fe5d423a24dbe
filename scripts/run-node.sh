#!/usr/bin/env bash
# The README's run command: builds the plugin, fetches OpenSearch through Maven, installs the plugin into it and
# starts one node on http://127.0.0.1:9200.   Usage: scripts/run-node.sh [--with-knn] [start|stop|status]
# --with-knn also installs the k-NN plugin (Maven Central's zip: no native libraries, so only its lucene engine
# works), e.g. for bench/vector_bench.py. SEMANTIC_NODE_HEAP sets the heap (default 1g).
set -euo pipefail

with_knn=false
if [ "${1:-}" = "--with-knn" ]; then with_knn=true; shift; fi

root=$(cd "$(dirname "$0")/.." && pwd)
# Outside the checkout so that the unprivileged node user can reach it even when the checkout is under /root.
node_dir=${SEMANTIC_NODE_DIR:-/tmp/opensearch-semantic-node}
node_user=${SEMANTIC_NODE_USER:-osnode}
port=${SEMANTIC_NODE_PORT:-9200}
heap=${SEMANTIC_NODE_HEAP:-1g}
pid_file="$node_dir/opensearch.pid"

running_pid() {
  [ -f "$pid_file" ] && kill -0 "$(cat "$pid_file")" 2>/dev/null && cat "$pid_file"
}

stop_node() {
  local pid
  if pid=$(running_pid); then
    echo "Stopping the node (pid $pid)..."
    kill "$pid"
    for _ in $(seq 1 120); do kill -0 "$pid" 2>/dev/null || { echo "Stopped."; return 0; }; sleep 0.5; done
    echo "The node did not stop within 60 s; killing it." >&2
    kill -9 "$pid"
  else
    echo "No node is running from $node_dir."
  fi
}

as_node_user() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u "$node_user" -- "$@"; else "$@"; fi
}

start_node() {
  source "$root/scripts/find-jdk.sh"
  stop_node >/dev/null
  if curl -s -o /dev/null --max-time 2 "http://127.0.0.1:$port/"; then
    echo "Something already answers on port $port (another OpenSearch node?): stop it, or pick another port with" >&2
    echo "SEMANTIC_NODE_PORT=9201 scripts/run-node.sh" >&2
    exit 1
  fi
  echo "Building the plugin and fetching OpenSearch with Maven (JDK: $JAVA_HOME)..."
  local goals=(package dependency:unpack@unpack-distribution)
  if $with_knn; then goals+=(dependency:copy@copy-knn-plugin); fi
  (cd "$root" && mvn -q -DskipTests "${goals[@]}")

  local dist zip
  dist=$(find "$root/target/integ/distribution" -mindepth 1 -maxdepth 1 -type d -name 'opensearch-*' | head -n 1)
  zip=$(ls "$root"/target/releases/opensearch-semantic-*.zip)
  rm -rf "$node_dir"
  cp -a "$dist" "$node_dir"
  if $with_knn; then
    echo "Installing opensearch-knn.zip..."
    OPENSEARCH_JAVA_HOME="$JAVA_HOME" "$node_dir/bin/opensearch-plugin" install --batch "file://$root/target/integ/plugins/opensearch-knn.zip" | grep -- '->' || true
  fi
  echo "Installing $(basename "$zip")..."
  OPENSEARCH_JAVA_HOME="$JAVA_HOME" "$node_dir/bin/opensearch-plugin" install --batch "file://$zip" | grep -- '->' || true
  cat > "$node_dir/config/opensearch.yml" <<YML
cluster.name: opensearch-semantic-demo
node.name: demo
network.host: 127.0.0.1
http.port: $port
discovery.type: single-node
YML
  printf -- '-Xms%s\n-Xmx%s\n' "$heap" "$heap" > "$node_dir/config/jvm.options.d/heap.options"
  mkdir -p "$node_dir/tmp"
  if [ "$(id -u)" -eq 0 ]; then
    # OpenSearch refuses to run as root.
    id -u "$node_user" >/dev/null 2>&1 || useradd --system --no-create-home --shell /usr/sbin/nologin "$node_user"
    chown -R "$node_user:$node_user" "$node_dir"
  fi
  echo "Starting OpenSearch on http://127.0.0.1:$port (logs: $node_dir/logs)..."
  (cd "$node_dir" && as_node_user env OPENSEARCH_JAVA_HOME="$JAVA_HOME" OPENSEARCH_TMPDIR="$node_dir/tmp" \
    bin/opensearch -d -p "$pid_file" >"$node_dir/logs/console.log" 2>&1) || {
    echo "OpenSearch failed to start; see $node_dir/logs/console.log:" >&2; tail -n 40 "$node_dir/logs/console.log" >&2; exit 1; }
  for _ in $(seq 1 240); do
    # Healthy, and the node that answers is the one this script started.
    if running_pid >/dev/null \
      && curl -fsS "http://127.0.0.1:$port/_cluster/health?wait_for_status=yellow&timeout=1s" 2>/dev/null \
        | grep -q '"cluster_name":"opensearch-semantic-demo"'; then
      show_node
      return 0
    fi
    # The pid file appears early in the node's bootstrap; once it is there the process must stay alive.
    if [ -f "$pid_file" ] && ! running_pid >/dev/null; then
      echo "OpenSearch exited; see $node_dir/logs:" >&2
      tail -n 40 "$node_dir/logs/opensearch-semantic-demo.log" >&2 || true
      exit 1
    fi
    sleep 0.5
  done
  echo "OpenSearch did not answer within 2 minutes; see $node_dir/logs." >&2
  exit 1
}

show_node() {
  local base="http://127.0.0.1:$port"
  echo
  echo "The node is up. Installed plugins:"
  curl -s "$base/_cat/plugins?v"
  echo
  echo "GET /_plugins/_semantic:"
  curl -s "$base/_plugins/_semantic?pretty"
  if [ -x "$root/scripts/demo.sh" ]; then
    "$root/scripts/demo.sh" "$base"
  fi
  cat <<TXT

Try:
  curl -s '$base/_plugins/_semantic?pretty'
  curl -s '$base/_cat/plugins?v'
Stop the node with:
  scripts/run-node.sh stop
TXT
}

case "${1:-start}" in
  start) start_node ;;
  stop) stop_node ;;
  status) if pid=$(running_pid); then echo "running (pid $pid) on http://127.0.0.1:$port"; else echo "not running"; fi ;;
  *) echo "usage: scripts/run-node.sh [--with-knn] [start|stop|status]" >&2; exit 2 ;;
esac
