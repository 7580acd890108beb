#!/bin/sh
# Runs one Python unittest file (a path relative to the workspace root) with
# Debian's interpreter, from Bazel's runfiles or from a plain checkout.
set -eu
script="$1"
shift
export PYTHONDONTWRITEBYTECODE=1
if [ -n "${TEST_SRCDIR:-}" ] && [ -f "$TEST_SRCDIR/ocs_influx_publisher/$script" ]; then
  exec /usr/bin/python3 "$TEST_SRCDIR/ocs_influx_publisher/$script" "$@"
fi
if [ -f "$script" ]; then
  exec /usr/bin/python3 "$script" "$@"
fi
echo "py_test.sh: cannot find $script" >&2
exit 2
