#!/usr/bin/env bash
# Build one heavy engine's virtual environment: build-engine-env.sh NAME VENV [PYTHON]
#   requirements/NAME.txt         installed normally (with dependencies)
#   requirements/NAME-nodeps.txt  installed --no-deps (packages whose pins clash with CPU torch)
# then torchaudio's compiled libraries are removed (they need CUDA on CPU torch) and the
# project itself is installed editable, so `VENV/bin/voicebus engine NAME` serves the engine.
set -euo pipefail
name="$1"
venv="$2"
python="${3:-python3}"
here="$(cd "$(dirname "$0")" && pwd)"
root="$(dirname "$here")"

pip() {
    # pip's config here lists local indexes that lack most packages: drop those warnings only
    { "$venv/bin/python" -m pip "$@" --quiet --progress-bar off 2>&1; } |
        { grep -v "is ignored: it is neither a file nor a directory" || true; }
}

began=$SECONDS
rm -rf "$venv"
"$python" -m venv "$venv"
pip install --upgrade pip
pip install -r "$here/$name.txt"
if [ -f "$here/$name-nodeps.txt" ]; then
    pip install --no-deps -r "$here/$name-nodeps.txt"
fi
site="$("$venv/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')"
rm -f "$site"/torchaudio/lib/*.so
pip install -e "$root"
"$venv/bin/python" -c "import engines.$name.engine" || {
    echo "the $name environment in $venv does not import engines.$name.engine" >&2
    exit 1
}
echo "built $venv for $name in $((SECONDS - began)) s ($(du -sh "$venv" | cut -f1))"
