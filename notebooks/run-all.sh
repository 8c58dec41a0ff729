#!/usr/bin/env bash
# Executes every notebook in notebooks/ top to bottom, headless, with the Deno kernel, and fails
# on the first cell error (nbconvert exits non-zero on an error output).
#
#   notebooks/run-all.sh            run into a temporary folder; the committed notebooks are untouched
#   notebooks/run-all.sh --update   write the executed notebooks (with their outputs) back in place
#   notebooks/run-all.sh 02         only notebooks whose name contains "02"
#   notebooks/run-all.sh --no-typecheck   skip type-checking the code cells first
#
# Needs: Debian's jupyter-nbconvert, python3-nbconvert, python3-ipykernel (jupyter_client) and the
# project's npm dev dependencies (deno, @resvg/resvg-js). The kernelspec is written to a temporary
# JUPYTER_PATH, so nothing is registered on the machine. A fresh simulated city is built in a
# temporary cache unless DAFEI_NOTEBOOK_CACHE is set; NOTEBOOK_OUT_DIR keeps the executed copies.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

update=false
typecheck=true
filter=''
for arg in "$@"; do
  case "$arg" in
    --update) update=true ;;
    --no-typecheck) typecheck=false ;;
    -h | --help) sed -n '2,14p' "$0"; exit 0 ;;
    *) filter=$arg ;;
  esac
done

# Debian's jupyter runs on /usr/bin/python3; a python3 earlier on PATH (pyenv) has no nbconvert.
JUPYTER=${JUPYTER:-}
if [ -z "$JUPYTER" ]; then
  if [ -x /usr/bin/jupyter ]; then JUPYTER=/usr/bin/jupyter; else JUPYTER=$(command -v jupyter || true); fi
fi
if [ -z "$JUPYTER" ] || ! "$JUPYTER" nbconvert --version >/dev/null 2>&1; then
  echo "run-all: jupyter nbconvert not found: apt-get install -y jupyter-nbconvert python3-nbconvert python3-ipykernel" >&2
  exit 1
fi

# The deno binary from the npm package (bin.cjs links it beside itself on first use).
if [ ! -x node_modules/deno/deno ]; then node node_modules/deno/bin.cjs --version >/dev/null; fi
deno=$root/node_modules/deno/deno
[ -x "$deno" ] || { echo "run-all: node_modules/deno/deno missing: run npm install" >&2; exit 1; }

tmp=$(mktemp -d "${TMPDIR:-/tmp}/dafei-notebooks.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/kernels/deno" "$tmp/out"
cat >"$tmp/kernels/deno/kernel.json" <<EOF
{
  "argv": ["$deno", "jupyter", "--kernel", "--conn", "{connection_file}"],
  "display_name": "Deno",
  "language": "typescript",
  "env": { "NO_COLOR": "1", "DOTENV_CONFIG_QUIET": "true" }
}
EOF
export JUPYTER_PATH=$tmp${JUPYTER_PATH:+:$JUPYTER_PATH}
export DAFEI_NOTEBOOK_CACHE=${DAFEI_NOTEBOOK_CACHE:-$tmp/cache}
export NO_COLOR=1 DOTENV_CONFIG_QUIET=true TZ=UTC
export PYDEVD_DISABLE_FILE_VALIDATION=1

# The kernel strips types without checking them: check the cells with the project's tsconfig first.
if $typecheck; then
  echo "── type-checking the code cells (notebooks/tsconfig.check.json)"
  node --import tsx notebooks/lib/check-cells.ts
fi

status=0
passed=0
failed=0
for nb in notebooks/[0-9]*.ipynb; do
  case "$nb" in *"$filter"*) ;; *) continue ;; esac
  start=$(date +%s)
  echo "── $nb"
  if $update; then
    out=(--inplace)
  else
    out=(--output-dir "${NOTEBOOK_OUT_DIR:-$tmp/out}")
  fi
  if "$JUPYTER" nbconvert --to notebook --execute "$nb" "${out[@]}" \
    --ExecutePreprocessor.kernel_name=deno \
    --ExecutePreprocessor.timeout=600 \
    --ExecutePreprocessor.record_timing=False \
    --log-level=WARN 2> >(grep -v -e 'unstable and might change' -e 'frozen modules' -e 'Xfrozen_modules' -e 'PYDEVD_DISABLE' -e '^$' >&2); then
    echo "   ok in $(($(date +%s) - start)) s"
    passed=$((passed + 1))
  else
    echo "   FAILED after $(($(date +%s) - start)) s" >&2
    status=1
    failed=$((failed + 1))
  fi
done
if [ "$status" -eq 0 ] && $update; then
  node --import tsx notebooks/lib/clean-outputs.ts notebooks/[0-9]*.ipynb
fi
echo
echo "Notebooks: $passed passed, $failed failed"
exit $status
