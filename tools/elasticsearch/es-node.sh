#!/usr/bin/env bash
# A real Elasticsearch 8 node in one JVM, from Maven Central artifacts only (see docs/elasticsearch.md).
#
#   es-node.sh build                      resolve + compile once (cached in ~/.m2 and target/); a no-op when fresh
#   es-node.sh run --home DIR [--http-port PORT|0] [--cluster-name NAME] [--exit-on-stdin-eof]
#                                         exec the JVM (build first if needed); prints
#                                         "LIANDONG_ES_READY http://127.0.0.1:PORT" when HTTP is up,
#                                         stops cleanly on SIGTERM/SIGINT
#
# Environment:
#   JAVA                 java binary to run the node with (default: $JAVA_HOME/bin/java, else java on PATH); 17+
#   LIANDONG_ES_HEAP     heap size for -Xms/-Xmx (default 512m)
#   LIANDONG_ES_JVM_TUNING GC/JIT choice (default "-XX:+UseSerialGC -XX:TieredStopAtLevel=1": on 2 cores
#                        it starts ~1.5x faster and uses ~50 MB less RSS than G1 + C2; set "" for the JVM's defaults)
#   LIANDONG_ES_JAVA_OPTS extra JVM options, appended last
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cp_file="$here/target/classpath.txt"

# Fresh when target/classpath.txt is newer than pom.xml and every source, and every jar it names
# is still in the local Maven repository.
is_fresh() {
  [[ -f $cp_file && -d $here/target/classes/liandong ]] || return 1
  [[ -z $(find "$here/pom.xml" "$here/src" -newer "$cp_file" -print -quit) ]] || return 1
  local entry
  local -a entries
  IFS=: read -r -a entries <"$cp_file"
  ((${#entries[@]} > 0)) || return 1
  for entry in "${entries[@]}"; do
    [[ -f $entry ]] || return 1
  done
}

build() {
  if is_fresh; then return 0; fi
  # One build at a time (parallel test workers, or a test racing the CI prefetch).
  mkdir -p "$here/target"
  exec 9>"$here/target/.build.lock"
  if command -v flock >/dev/null; then flock 9; fi
  if is_fresh; then exec 9>&-; return 0; fi
  command -v mvn >/dev/null || {
    echo "es-node.sh: mvn not found; install Maven (Debian: apt-get install -y maven)" >&2
    exit 1
  }
  echo "es-node.sh: building the Elasticsearch node classpath (mvn; first run downloads ~45 MB into ~/.m2)" >&2
  rm -f "$cp_file"
  mvn -B -q -Dstyle.color=never -f "$here/pom.xml" compile >&2
  [[ -f $cp_file ]] || { echo "es-node.sh: mvn finished but wrote no $cp_file" >&2; exit 1; }
  exec 9>&-
}

cmd="${1:-}"
[[ $# -gt 0 ]] && shift
case "$cmd" in
  build)
    build
    ;;
  run)
    build
    java="${JAVA:-}"
    if [[ -z $java ]]; then
      if [[ -n ${JAVA_HOME:-} && -x $JAVA_HOME/bin/java ]]; then java="$JAVA_HOME/bin/java"; else java=java; fi
    fi
    home=""
    args=("$@")
    for ((i = 0; i < ${#args[@]}; i++)); do
      [[ ${args[i]} == --home ]] && home="${args[i + 1]:-}"
    done
    [[ -n $home ]] || { echo "es-node.sh run: --home DIR is required" >&2; exit 2; }
    mkdir -p "$home/tmp"
    heap="${LIANDONG_ES_HEAP:-512m}"
    # The subset of a stock node's jvm.options that matters here, plus a small fixed heap.
    opts=(
      "-Xms$heap" "-Xmx$heap"
      -Xss1m
      -XX:-OmitStackTraceInFastThrow
      -XX:+ExitOnOutOfMemoryError
      -Djava.io.tmpdir="$home/tmp"
      -Dfile.encoding=UTF-8
      -Djava.locale.providers=CLDR
      -Djna.nosys=true
      -Dio.netty.noUnsafe=true
      -Dio.netty.noKeySetOptimization=true
      -Dio.netty.recycler.maxCapacityPerThread=0
      -Dlog4j.shutdownHookEnabled=false
      -Dlog4j2.disable.jmx=true
      -Dlog4j2.formatMsgNoLookups=true
    )
    # shellcheck disable=SC2206 # word splitting of these option lists is intended
    opts+=(${LIANDONG_ES_JVM_TUNING--XX:+UseSerialGC -XX:TieredStopAtLevel=1})
    # shellcheck disable=SC2206
    [[ -n ${LIANDONG_ES_JAVA_OPTS:-} ]] && opts+=(${LIANDONG_ES_JAVA_OPTS})
    exec "$java" "${opts[@]}" -cp "$here/target/classes:$(<"$cp_file")" liandong.es.RunNode "$@"
    ;;
  *)
    awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "${BASH_SOURCE[0]}" >&2
    exit 2
    ;;
esac
