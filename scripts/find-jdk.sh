#!/usr/bin/env bash
# Sourced by the run script and CI: exports JAVA_HOME as a JDK >= 21 (OpenSearch 3.x builds and runs on it).
# Looks at $JAVA_HOME first, then the usual install folders of Debian/Ubuntu, Fedora and macOS; takes the newest.

semantic_jdk_major() {
  local release="$1/release" version
  [ -x "$1/bin/javac" ] && [ -f "$release" ] || return 1
  version=$(sed -n 's/^JAVA_VERSION="\([0-9]*\).*/\1/p' "$release")
  [ -n "$version" ] && echo "$version"
}

semantic_find_jdk() {
  local best="" best_major=0 dir major
  for dir in "${JAVA_HOME:-}" /usr/lib/jvm/* /Library/Java/JavaVirtualMachines/*/Contents/Home; do
    [ -n "$dir" ] && [ -d "$dir" ] || continue
    major=$(semantic_jdk_major "$dir") || continue
    if [ "$major" -ge 21 ] && [ "$major" -gt "$best_major" ]; then
      best="$dir"; best_major="$major"
    fi
  done
  [ -n "$best" ] && echo "$best"
}

if ! JAVA_HOME=$(semantic_find_jdk); then
  echo "No JDK 21 or newer found (looked at \$JAVA_HOME, /usr/lib/jvm/*, /Library/Java/JavaVirtualMachines/*)." >&2
  echo "Install one (see README.md, Requirements) or point JAVA_HOME at it." >&2
  return 1 2>/dev/null || exit 1
fi
export JAVA_HOME
export PATH="$JAVA_HOME/bin:$PATH"
