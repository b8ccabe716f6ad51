#!/usr/bin/env bash
# The completion scripts generated from the command table load in bash and
# zsh and complete commands, subcommands, options, their values, and the
# release versions and process names of a running node (its --root or
# RELMAN_ROOT).
# usage: completion.sh RELMAN COMPLETION_DIR COUNTER_ARCHIVE_DIR
set -euo pipefail
unset RELMAN_ROOT # each case names its node, or none
relman=$(realpath "$1") dir=$(realpath "$2") archives=$(realpath "$3")
work=$(mktemp -d "${TMPDIR:-/tmp}/relman-completion.XXXXXX")
root=$work/node
trap '"$relman" node stop --root "$root" >/dev/null 2>&1 || true; rm -rf "$work"' EXIT
failures=0

# expect WANT WORDS...: completes the last word of `relman WORDS...` in bash
# and checks the candidates, joined by spaces.
expect() {
  local want=$1; shift
  COMP_WORDS=("$relman" "$@")
  COMP_CWORD=$#
  _relman
  local got="${COMPREPLY[*]}"
  if [ "$got" != "$want" ]; then
    echo "bash: 'relman $*' completes to '$got', not '$want'"
    failures=$((failures + 1))
  fi
}

# shellcheck source=/dev/null
source "$dir/relman.bash"
complete -p relman >/dev/null || { echo "bash: the script registers no completion"; exit 1; }
expect "install" ins
expect "start stop" node ""
expect "--json" install --j
expect "on off" trace z ""
expect "start stop" help node ""
expect "node" help no
expect "--root --timeout --help" node stop --
cd "$work"
touch rel.tar.gz
expect "rel.tar.gz" unpack re
mkdir dirA
expect "dirA" status --root di

# A live node: release versions and process names come from it.
"$relman" node start --root "$root" --release "$archives/counter-1.tar.gz" --detach >/dev/null
"$relman" unpack --root "$root" "$archives/counter-2.tar.gz" >/dev/null
expect "1 2" install --root "$root" ""
expect "2" permanent -r "$root" 2
RELMAN_ROOT=$root expect "z" call ""
RELMAN_ROOT=$root expect "z" resume z ""
expect "" install "" # no root named: nothing to ask

if command -v zsh >/dev/null; then
  zsh_out=$(zsh -f -c '
    fpath=("$1" $fpath)
    autoload -U compinit && compinit -u -D
    [[ $_comps[relman] == _relman ]] || print "not registered: ${_comps[relman]-none}"
    source "$1/_relman"
    print -r -- "$(_relman_candidates relman ins)|$(_relman_candidates relman "" node)"
    print -r -- "$(_relman_candidates "$2" "" install --root "$3" | tr "\n" " ")"
  ' zsh "$dir" "$relman" "$root" 2>&1)
  want=$'install|start\nstop\n1 2 '
  if [ "$zsh_out" != "$want" ]; then
    echo "zsh: got:"; echo "$zsh_out"; echo "zsh: wanted:"; echo "$want"
    failures=$((failures + 1))
  fi
else
  echo "completion: zsh is not installed; only bash was checked (scripts/deps installs zsh)"
fi

if [ $failures -gt 0 ]; then
  echo "completion: $failures failures"
  exit 1
fi
echo "completion: the scripts complete from the table"
