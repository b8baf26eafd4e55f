# Sourced by the project's scripts and fixtures (bash). Two things every step needs as an ordinary user:
#  - Debian puts modprobe, mkfs.fat, sfdisk, losetup, libvirtd... in /usr/sbin (and /sbin), which is not on a
#    non-root user's PATH: add both, after whatever the caller already has.
#  - No step fails silently: on any failure, say which command failed, where, and the command that reproduces
#    the whole step (set STEP_REPRO before calling on_failure_report).
for d in /usr/sbin /sbin; do
  case ":$PATH:" in *":$d:"*) ;; *) PATH=$PATH:$d ;; esac
done
export PATH

STEP_NAME=${STEP_NAME:-$(basename "$0")}

# need_tools CMD:PACKAGE...: true when every CMD is found (PATH, sbin included); otherwise prints each missing
# one and the apt-get line that installs them, and returns 1.
need_tools() { _need _is_command missing "$@"; }
# need_files PATH:PACKAGE...: the same for files that are not commands (a kernel, boot code).
need_files() { _need _is_readable 'missing or unreadable' "$@"; }

_is_command() { command -v "$1" >/dev/null 2>&1; }
_is_readable() { [ -r "$1" ]; }
_need() {
  local present=$1 what=$2 pair missing=() pkgs=()
  shift 2
  for pair in "$@"; do
    "$present" "${pair%%:*}" && continue
    missing+=("${pair%%:*}")
    pkgs+=("${pair#*:}")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  echo "$STEP_NAME: $what ${missing[*]}; install with (as root):" >&2
  echo "  apt-get install -y --no-install-recommends $(printf '%s\n' "${pkgs[@]}" | sort -u | paste -sd' ')" >&2
  return 1
}

# The command that reproduces this step, quoted for a shell: the script with its arguments, plus VAR=value
# for each environment variable named (only those set).
repro_command() {
  local script=$1 var env=()
  shift
  while [ $# -gt 0 ] && [ "$1" != -- ]; do
    var=$1; shift
    [ -n "${!var+x}" ] && env+=("$var=$(printf '%q' "${!var}")")
  done
  [ "${1:-}" = -- ] && shift
  printf '%s' "${env[*]}${env[*]:+ }$(printf '%q' "$script")"
  [ $# -gt 0 ] && printf ' %q' "$@"
  echo
}

# Installed as the ERR trap by the caller (with set -E so functions and subshells inherit it):
#   trap 'on_failure_report $? $LINENO "$BASH_COMMAND"' ERR
# In a subshell (a pipeline stage) it names the command that failed; the script itself then reports the
# pipeline's line and the reproducing command.
on_failure_report() {
  trap - ERR
  echo "$STEP_NAME: FAILED (exit $1) at line $2: $3" >&2
  if [ "${BASHPID:-$$}" = "$$" ] && [ -n "${STEP_REPRO:-}" ]; then echo "$STEP_NAME: reproduce with: $STEP_REPRO" >&2; fi
  exit "$1"
}
