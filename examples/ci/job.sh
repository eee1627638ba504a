#!/bin/sh
# The CI job's steps:  job.sh SAFEPIP_SOURCE REQUIREMENTS
# No sudo, no hand-made TMPDIR: safepip picks the target, and explains it in the log first.
set -eu
source=${1:?the safepip source: a checkout directory}
[ -d "$source" ] && source=$(cd "$source" && pwd)  # a path, never a package name
requirements=${2:?a requirements file}
tool="${RUNNER_TEMP:-${TMPDIR:-/tmp}}/safepip-tool-$$"
python3 -m venv "$tool"
"$tool/bin/pip" install --quiet "$source"
"$tool/bin/safepip" doctor
"$tool/bin/safepip" install -r "$requirements"
"$tool/bin/safepip" run -- python -c 'import sys; print("CI python:", sys.executable)'
rm -rf "$tool"
