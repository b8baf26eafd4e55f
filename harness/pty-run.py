#!/usr/bin/env python3
# Runs a command under a real pseudo-terminal, as a person's terminal (or `kubectl exec -it`) would, for tests of
# `vm-launcher console`: the command's stdin is a tty (raw mode, Ctrl-] work as for a user). This process relays its
# own stdin to the terminal and the terminal's output to its stdout, and prints the command's pid on stderr first
# ("PTY-CHILD-PID=N") so a test can kill it. Killing this relay closes the terminal: the command gets SIGHUP, as
# when a terminal window closes or `kubectl exec` drops. Exits with the command's exit code (128+N for signal N).
import os, pty, select, sys

pid, master = pty.fork()
if pid == 0:
    os.execvp(sys.argv[1], sys.argv[1:])
sys.stderr.write(f"PTY-CHILD-PID={pid}\n")
sys.stderr.flush()
stdin_open = True
while True:
    fds = [master] + ([0] if stdin_open else [])
    ready, _, _ = select.select(fds, [], [])
    if 0 in ready:
        data = os.read(0, 4096)
        if data:
            os.write(master, data)
        else:
            stdin_open = False  # keep the terminal open: a person's terminal does not end with its input
    if master in ready:
        try:
            data = os.read(master, 4096)
        except OSError:
            data = b""
        if not data:
            break
        os.write(1, data)
_, status = os.waitpid(pid, 0)
sys.exit(os.waitstatus_to_exitcode(status) if os.WIFEXITED(status) else 128 + os.WTERMSIG(status))
