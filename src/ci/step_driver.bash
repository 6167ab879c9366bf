# shellcheck shell=bash
# The shell of a run (src/ci/runner.c starts it as `bash --noprofile --norc
# -c SCRIPT cibox STATE_OUT STATE_IN STEPS DONE OUTPUT STEP...`). The Makefile
# compiles it into cibox as a C string, build/gen/step_driver.c, without its
# comment lines: no line of the script itself may start with #.
#
# It gets every step's path as arguments after its named
# pipes. A step's number comes on the named pipe $3, one a line (bash reads a
# pipe a byte at a time, so a number costs less than a path); the step is
# sourced with errexit and pipefail, and when it returns "0" goes out on the
# named pipe $4. The steps' output goes to the named pipe $5, which is also
# the shell's standard output and error as the engine started it: a container
# engine relays those through its own processes, later than "0" arrives,
# while the shell's own writes to $5 are there before it. Named pipes in the
# run folder, not inherited descriptors, because a container engine's daemon
# cannot hand descriptors into its container while every engine can reach
# the run folder. A failing command ends the shell, and with it the stage. A
# step that calls `exit` ends the shell too: the EXIT trap then leaves the
# state in $1 for a new shell (which gets it as $2). bash prints each
# variable of `declare -p` on one line, writing newlines and other control
# characters as $'...', so the lines of readonly variables and bash's own
# arrays can be dropped by a line filter whatever the values hold.
#
# A step that turns on xtrace (`set -x`, as most CI steps do) must trace its
# own commands and the next steps', not the driver's: the driver's lines run
# with xtrace off, what a step left is kept in __cibox_x (carried over an
# `exit 0` with the other variables) and turned back on just before the next
# step is sourced. Turning it off is itself traced, so it runs in a group
# whose standard error, where the trace goes, is /dev/null. The one line
# left is the `source` that starts the next step, as in a script that
# sources the steps one after the other.
__cibox_leave() {
  exec 4>"$__cibox_state" || return
  builtin printf 'builtin cd -- %q || exit 125\n' "$PWD" >&4
  builtin unset __cibox_state __cibox_in __cibox_out __cibox_step __cibox_steps __cibox_rc BASH BASHPID BASH_ALIASES BASH_ARGV0 BASH_CMDS BASH_COMMAND BASH_EXECUTION_STRING BASH_LOADABLES_PATH BASH_SUBSHELL BASH_VERSION COMP_WORDBREAKS DIRSTACK EPOCHREALTIME EPOCHSECONDS FUNCNAME GROUPS HISTCMD HOSTTYPE IFS LINENO MACHTYPE OLDPWD OPTARG OPTERR OPTIND OSTYPE PIPESTATUS PWD RANDOM SECONDS SHLVL SRANDOM 2>/dev/null
  builtin declare -p | LC_ALL=C grep -avE '^declare -[a-zA-Z]*r[a-zA-Z]* |^declare -a BASH_(ARGC|ARGV|LINENO|SOURCE)=' >&4
  builtin unset -f __cibox_leave
  { builtin declare -f; builtin declare -Fx; } >&4
}
__cibox_state=$1
exec {__cibox_in}<"$3" {__cibox_out}>"$4" >"$5" 2>&1 || exit 125
builtin printf 'r\n' >&"$__cibox_out"
if [ -n "$2" ]; then builtin source "$2" || exit 125; fi
builtin shift 5
__cibox_steps=("$@")
set --
# shellcheck disable=SC2154 # __cibox_rc is set by the trap's own first command
trap '{ __cibox_rc=$? __cibox_x=${-//[!x]/}; set +x; } 2>/dev/null; [ $__cibox_rc -eq 0 ] && __cibox_leave' EXIT
while IFS= builtin read -r -u "$__cibox_in" __cibox_step; do
  __cibox_step=${__cibox_steps[__cibox_step]}
  BASH_ARGV0=$__cibox_step
  set -eo pipefail
  if [ -n "$__cibox_x" ]; then set -x; fi
  builtin source "$__cibox_step"
  { __cibox_x=${-//[!x]/}; set +x; } 2>/dev/null
  set +eo pipefail
  builtin printf '0\n' >&"$__cibox_out"
done
trap - EXIT
