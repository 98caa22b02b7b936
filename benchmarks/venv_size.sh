#!/usr/bin/env bash
# How big is the venv that the README's first command makes (issue #15)? Copies the working tree (tracked and
# not-ignored files, so uncommitted edits count) into a temporary folder, runs the README's first command there as a
# new user would (a fresh `python3 -m venv .venv`, the documented `pip install`, then its job: query + reproduce),
# and prints `du -sm` of the venv after the install and again after the job (Python writes __pycache__ for what it
# imports), the .pyc share, and the largest folders of site-packages.
#
#   bash benchmarks/venv_size.sh                      # the README's first command, verbatim
#   bash benchmarks/venv_size.sh --install-only       # stop after the pip install (about 1 minute)
#   bash benchmarks/venv_size.sh --command 'python3 -m venv .venv && . .venv/bin/activate && pip install -e . && ...'
#                                                     # measure another command instead (e.g. the old one, to compare)
#   bash benchmarks/venv_size.sh --keep               # leave the temporary folder (its path is printed)
#
# The job runs with PYTHONDONTWRITEBYTECODE unset (a user's shell does not set it; with it set, the lazily compiled
# .pyc would be missed) and with HOME / XDG_CACHE_HOME inside the temporary folder. Needs the registries or wheels
# that `pip install` needs; about 2-3 minutes on 2 cores.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(dirname "$here")"
install_only=0 keep=0 cmd=""
while [ $# -gt 0 ]; do
  case "$1" in
    --install-only) install_only=1 ;;
    --keep) keep=1 ;;
    --command) cmd="$2"; shift ;;
    -h|--help) sed -n '2,17p' "$0"; exit 0 ;;
    *) echo "venv_size.sh: unknown argument $1 (allowed: --install-only, --keep, --command CMD)" >&2; exit 2 ;;
  esac
  shift
done
if [ -z "$cmd" ]; then
  cmd="$(grep -m1 '^python3 -m venv .venv && ' "$root/README.md" || true)"
  [ -n "$cmd" ] || { echo "venv_size.sh: no line starting 'python3 -m venv .venv && ' in README.md" >&2; exit 2; }
fi
# split "venv && activate && pip install ... && job..." after the first segment that runs pip
install_part="" job_part="" seen_pip=0
IFS=$'\n' read -r -d '' -a parts < <(printf '%s' "$cmd" | sed 's/ && /\n/g'; printf '\0') || true
for p in "${parts[@]}"; do
  if [ "$seen_pip" = 1 ]; then job_part="${job_part:+$job_part && }$p"; else install_part="${install_part:+$install_part && }$p"; fi
  case "$p" in *"pip install"*) seen_pip=1 ;; esac
done
[ "$seen_pip" = 1 ] || { echo "venv_size.sh: the command has no 'pip install' step: $cmd" >&2; exit 2; }

tmp="$(mktemp -d "${TMPDIR:-/tmp}/venv_size.XXXXXX")"
if [ "$keep" = 0 ]; then trap 'rm -rf "$tmp"' EXIT; fi
work="$tmp/nasbench-eval"
mkdir -p "$work" "$tmp/home"
(cd "$root" && git ls-files -z --cached --others --exclude-standard | while IFS= read -r -d '' f; do
   [ -f "$f" ] && printf '%s\0' "$f"; done | tar --null -T - -cf -) | tar -xf - -C "$work"

# a new user's shell: system python3 first on PATH (no activated venv), no project variables
clean_path="$(printf '%s' "$PATH" | tr ':' '\n' | grep -v -e '/\.venv[^/]*/bin$' ${VIRTUAL_ENV:+-e "^$VIRTUAL_ENV/bin\$"} | paste -sd:)"
run() {
  (cd "$work" && env -u PYTHONDONTWRITEBYTECODE -u VIRTUAL_ENV -u NASBENCH_EVAL_STORE -u PYTHONPATH \
     PATH="$clean_path" HOME="$tmp/home" XDG_CACHE_HOME="$tmp/home/.cache" OPENBLAS_NUM_THREADS=1 bash -c "$1")
}
site() { echo "$work"/.venv/lib/python3*/site-packages; }
report() {
  local s; s="$(site)"
  local total pyc
  total="$(du -sm "$work/.venv" | cut -f1)"
  pyc="$(find "$work/.venv" -name '*.pyc' -print0 | du -cm --files0-from=- 2>/dev/null | tail -1 | cut -f1)"
  echo "== $1: venv $total MB (du -sm), of which .pyc $pyc MB; apparent size $(du -sm --apparent-size "$work/.venv" | cut -f1) MB"
  echo "   largest folders of site-packages (MB):"
  (cd "$s" && du -sm -- * | sort -rn | head -15 | awk '{printf "   %6d  %s\n", $1, $2}')
}

echo "venv_size.sh: $(python3 --version 2>&1) ($(command -v python3)); command:"
echo "  $cmd"
t0=$(date +%s)
run "$install_part" >"$tmp/install.log" 2>&1 || { tail -20 "$tmp/install.log"; echo "venv_size.sh: install failed" >&2; exit 1; }
t1=$(date +%s)
echo "install: $((t1 - t0)) s"
report "after the install"
if [ "$install_only" = 0 ] && [ -n "$job_part" ]; then
  run ". .venv/bin/activate && $job_part" >"$tmp/job.log" 2>&1 || { tail -20 "$tmp/job.log"; echo "venv_size.sh: job failed" >&2; exit 1; }
  t2=$(date +%s)
  echo "job: $((t2 - t1)) s ($job_part)"
  report "after the job"
fi
if [ "$keep" = 1 ]; then echo "kept: $tmp"; fi
