#!/bin/sh
# Run as the unprivileged user, in a container build or anywhere else:
#   setup-as-user.sh SAFEPIP_SOURCE REQUIREMENTS
# installs safepip into its own venv from SAFEPIP_SOURCE (a checkout, or "safepip" from an index), then the
# requirements wherever this user can install them.
set -eu
source=${1:?the safepip source: a checkout directory}
# a bare directory name would be read by pip as a package name: make it a path
[ -d "$source" ] && source=$(cd "$source" && pwd)
requirements=${2:?a requirements file}
tool="$HOME/.local/share/safepip-tool"
python3 -m venv "$tool"
"$tool/bin/pip" install --quiet "$source"
"$tool/bin/safepip" install --quiet -r "$requirements"
"$tool/bin/safepip" -q list
# only the safepip command on PATH (via ~/.local/bin), not the tool venv's own pip and python
mkdir -p "$HOME/.local/bin"
ln -sf "$tool/bin/safepip" "$HOME/.local/bin/safepip"
