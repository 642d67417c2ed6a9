#!/usr/bin/env python3
"""Copies real /proc/PID trees into a fixture root: the files the process collector reads, the
fd symlinks (re-created with their real targets) and each thread's stat, status and comm.

    capture_proc_pid.py DEST PID [PID...]
"""
import os
import sys

FILES = ["stat", "status", "limits", "maps", "cmdline", "comm", "smaps_rollup"]


def copy(src, dst):
    try:
        with open(src, "rb") as f:
            data = f.read()
    except OSError:
        return  # a zombie has no maps content, a kernel thread no smaps_rollup: leave it out
    with open(dst, "wb") as f:
        f.write(data)


def capture(dest, pid):
    src = f"/proc/{pid}"
    out = os.path.join(dest, str(pid))
    os.makedirs(os.path.join(out, "fd"), exist_ok=True)
    for name in FILES:
        copy(os.path.join(src, name), os.path.join(out, name))
    try:
        fds = os.listdir(os.path.join(src, "fd"))
    except OSError:
        fds = []
    for fd in fds:
        try:
            os.symlink(os.readlink(os.path.join(src, "fd", fd)), os.path.join(out, "fd", fd))
        except OSError:
            pass  # closed meanwhile
    for tid in os.listdir(os.path.join(src, "task")):
        tdir = os.path.join(out, "task", tid)
        os.makedirs(tdir, exist_ok=True)
        for name in ("stat", "status", "comm"):
            copy(os.path.join(src, "task", tid, name), os.path.join(tdir, name))


def main():
    dest = sys.argv[1]
    for pid in sys.argv[2:]:
        capture(dest, int(pid))


if __name__ == "__main__":
    main()
