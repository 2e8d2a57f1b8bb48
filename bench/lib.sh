# Shared by the bench/*.sh scripts (sourced): timing, medians, the one-line report.

# Runs a command with its output discarded; prints the wall-clock seconds it took.
seconds() { local s; s=$(date +%s%N); "$@" >/dev/null; awk -v ns=$(( $(date +%s%N) - s )) 'BEGIN { printf "%.3f", ns / 1e9 }'; }

# The same, with /usr/bin/time: prints "SECONDS PEAK_RSS_MB".
seconds_rss() {
  local f; f=$(mktemp)
  /usr/bin/time -f "%e %M" -o "$f" "$@" >/dev/null
  awk '{ printf "%.3f %.1f\n", $1, $2 / 1024 }' "$f"; rm -f "$f"
}

median() { printf '%s\n' "$@" | sort -n | sed -n "$(( ($# + 1) / 2 ))p"; }

# report NAME ROWS WEIR_SECONDS ANCHOR_SECONDS ANCHOR_NAME GOAL: throughput ratio weir/anchor.
report() {
  awk -v n="$1" -v r="$2" -v w="$3" -v a="$4" -v anchor="$5" -v goal="$6" 'BEGIN {
    printf "%s: %d rows  weir %.2f s (%.0f rows/s)  %s %.2f s (%.0f rows/s)  weir/anchor throughput %.2f (goal >= %s)\n",
           n, r, w, r / w, anchor, a, r / a, a / w, goal }'
}
