#!/usr/bin/env bash
# Generates the Python stubs for escalation.v1 from ../../proto into ./gen.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
mkdir -p "$here/gen"
python3 -m grpc_tools.protoc -I "$here/../../proto" \
  --python_out="$here/gen" --grpc_python_out="$here/gen" \
  escalation/v1/escalation.proto
touch "$here/gen/escalation/__init__.py" "$here/gen/escalation/v1/__init__.py"
