#!/usr/bin/env bash
# Same inputs through two checkouts' environments (before and after a change); every decoded frame,
# audio packet and metric must agree. Prints IDENTICAL or the difference.
#   bash bench/same_results.sh /path/to/before/.venv /path/to/after/.venv
set -euo pipefail
B=${1:?before venv}/bin; A=${2:?after venv}/bin
HERE=$(cd "$(dirname "$0")" && pwd)
W=$(mktemp -d -t rifeflow-same-XXXX); mkdir -p "$W/in/sub"
"$B/rifeflow" sample "$W/in/sample.mp4" --seconds 2 --size 160 >/dev/null
"$B/rifeflow" sample "$W/in/sub/small.mp4" --seconds 1.5 --size 96 >/dev/null
for side in before after; do
  bin=$B; [ "$side" = after ] && bin=$A
  o=$W/$side; mkdir -p "$o"
  "$bin/rifeflow" -q interpolate "$W/in/sample.mp4" "$o/exp1.mp4" --scale 0.5
  "$bin/rifeflow" -q interpolate "$W/in/sample.mp4" "$o/fps60.mp4" --fps 60 --scale 0.5
  "$bin/rifeflow" -q interpolate "$W/in/sub/small.mp4" "$o/exp2_tta.mp4" --exp 2 --tta
  (cd "$o" && "$bin/rifeflow" -q run "$W/in" "$o/catalog" --workers 2 --scale 0.5 --chunk-frames 12 \
     --heldout-frames 6 >/dev/null)
  "$bin/python" "$HERE/digests.py" "$o/exp1.mp4" "$o/fps60.mp4" "$o/exp2_tta.mp4" "$o/catalog" > "$W/$side.json"
done
diff "$W/before.json" "$W/after.json" && echo "IDENTICAL: every decoded frame, audio packet and metric ($W)"
