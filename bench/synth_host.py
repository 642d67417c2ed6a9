#!/usr/bin/env python3
"""A synthetic busy hypervisor, built inside a network namespace of its own and torn down again.

For N VMs: N qemu-like processes (bench/fake_qemu started as qemu-system-x86_64 with a
libvirt-style command line), one tap per VM enslaved to bridges of ten, a vxlan device on each
bridge, and a console.log per VM of varied size. Nothing is left behind after teardown, also when
interrupted: the processes die with their parent (PR_SET_PDEATHSIG), the links die with the
namespace. After a SIGKILL, which cannot be caught, the namespace and /tmp/virtnet-bench stay
until the next run, which removes them first. A lock keeps two runs from sharing the namespace.

Standalone:  python3 bench/synth_host.py --vms 200 --build-dir build   (Ctrl-C tears it down)
"""

import argparse
import ctypes
import fcntl
import os
import shutil
import signal
import subprocess
import sys
import uuid

NETNS = "virtnet-bench"
CLONE_NEWNET = 0x40000000
VMS_PER_BRIDGE = 10


LOCK = "/run/lock/virtnet-bench.lock"
FILES = "/tmp/virtnet-bench"
PR_SET_PDEATHSIG = 1


def die_with_parent():
    """preexec_fn: the child gets SIGKILL when this process dies, even by SIGKILL."""
    ctypes.CDLL(None).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)


def run(*cmd, stdin=None):
    subprocess.run(cmd, input=stdin, check=True, text=True, stdout=subprocess.DEVNULL)


def netns_exists():
    return os.path.exists(f"/run/netns/{NETNS}")


def enter_netns():
    """Moves this process (and so every child started after) into the namespace."""
    global _host_netns_fd
    libc = ctypes.CDLL(None, use_errno=True)
    if _host_netns_fd is None:
        _host_netns_fd = os.open("/proc/self/ns/net", os.O_RDONLY)
    fd = os.open(f"/run/netns/{NETNS}", os.O_RDONLY)
    try:
        if libc.setns(fd, CLONE_NEWNET) != 0:
            raise OSError(ctypes.get_errno(), "setns")
    finally:
        os.close(fd)


_host_netns_fd = None


def leave_netns():
    global _host_netns_fd
    if _host_netns_fd is not None:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.setns(_host_netns_fd, CLONE_NEWNET)
        os.close(_host_netns_fd)
        _host_netns_fd = None


def netdev_lines(vms):
    bridges = (vms + VMS_PER_BRIDGE - 1) // VMS_PER_BRIDGE
    lines = ["link set lo up"]
    for b in range(bridges):
        lines += [
            f"link add br{b} type bridge",
            f"link add vxlan{b} type vxlan id {1000 + b} dstport 4789 local 127.0.0.1",
            f"link set vxlan{b} master br{b}",
            f"link set vxlan{b} up",
            f"link set br{b} up",
        ]
    for i in range(vms):
        lines += [
            f"tuntap add tap{i:05d} mode tap",
            f"link set tap{i:05d} master br{i // VMS_PER_BRIDGE}",
            f"link set tap{i:05d} up",
        ]
    return "\n".join(lines) + "\n"


def qemu_cmdline(i, tmp):
    name = f"instance-{i + 1:08x}"
    console = os.path.join(tmp, "instances", name, "console.log")
    vhost = i % 4 != 0  # one VM in four runs virtio-net in userspace
    netdev = '{"type":"tap","fd":"%d","id":"hostnet0"%s}' % (
        31 + i % 7, ',"vhost":true,"vhostfd":"%d"' % (40 + i % 5) if vhost else "")
    return console, [
        "-name", f"guest={name},debug-threads=on",
        "-S", "-machine", "pc-q35-7.2,usb=off,dump-guest-core=off",
        "-uuid", str(uuid.UUID(int=i + 1)),
        "-smp", "4,sockets=4,cores=1,threads=1",
        "-m", "4096",
        "-netdev", netdev,
        "-device", f"virtio-net-pci,netdev=hostnet0,id=net0,mac=52:54:00:{i >> 16 & 255:02x}:"
                   f"{i >> 8 & 255:02x}:{i & 255:02x}",
        "-chardev", f"file,id=charserial0,path={console}",
        "-device", "isa-serial,chardev=charserial0,id=serial0",
    ]


class SyntheticHost:
    def __init__(self, vms, build_dir):
        self.vms = vms
        self.build_dir = build_dir
        self.tmp = None
        self.procs = []

    def __enter__(self):
        self.up()
        return self

    def __exit__(self, *exc):
        self.down()

    def up(self):
        # One synthetic host at a time: a second would delete this one's namespace.
        os.makedirs(os.path.dirname(LOCK), exist_ok=True)
        self.lock = open(LOCK, "w")
        try:
            fcntl.flock(self.lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise RuntimeError(f"another synthetic host is running (lock {LOCK} is held)")
        if netns_exists():  # left by a run that was killed with SIGKILL
            run("ip", "netns", "del", NETNS)
        run("ip", "netns", "add", NETNS)
        run("ip", "-n", NETNS, "-batch", "-", stdin=netdev_lines(self.vms))
        enter_netns()
        # A fixed path, so that what a SIGKILLed run left is removed here, as the namespace is.
        self.tmp = FILES
        shutil.rmtree(self.tmp, ignore_errors=True)
        os.makedirs(self.tmp)
        qemu = os.path.join(self.tmp, "qemu-system-x86_64")
        shutil.copy(os.path.join(self.build_dir, "bench", "fake_qemu"), qemu)
        for i in range(self.vms):
            console, args = qemu_cmdline(i, self.tmp)
            os.makedirs(os.path.dirname(console))
            with open(console, "wb") as f:  # 0 to ~5 MB, sparse
                f.truncate((i * 7919 * 613) % (5 << 20))
            self.procs.append(subprocess.Popen([qemu] + args, stdout=subprocess.DEVNULL,
                                               stderr=subprocess.DEVNULL,
                                               preexec_fn=die_with_parent))
        self.wait_ready()

    def wait_ready(self):
        # Ready when every process has named its vhost thread (its last act before sleeping).
        import time
        deadline = time.monotonic() + 60
        pending = {p.pid for p in self.procs}
        while pending and time.monotonic() < deadline:
            for pid in list(pending):
                try:
                    names = [open(f"/proc/{pid}/task/{t}/comm").read().strip()
                             for t in os.listdir(f"/proc/{pid}/task")]
                except OSError:
                    continue
                if f"vhost-{pid}" in names:
                    pending.discard(pid)
            time.sleep(0.05)
        if pending:
            raise RuntimeError(f"{len(pending)} fake qemu processes not ready")

    def down(self):
        leave_netns()
        for p in self.procs:
            p.kill()
        for p in self.procs:
            p.wait()
        self.procs = []
        if netns_exists():
            run("ip", "netns", "del", NETNS)
        if self.tmp:
            shutil.rmtree(self.tmp, ignore_errors=True)
            self.tmp = None
        if getattr(self, "lock", None):
            self.lock.close()  # releases the flock
            self.lock = None


def install_signal_teardown():
    """SIGINT, SIGTERM and SIGHUP become KeyboardInterrupt, so `with SyntheticHost` unwinds.
    SIGINT is set too: a background job starts with it ignored, and Python then leaves it so."""
    def handler(signum, frame):
        raise KeyboardInterrupt(f"signal {signum}")
    for s in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(s, handler)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--vms", type=int, default=200)
    ap.add_argument("--build-dir", default="build")
    args = ap.parse_args()
    install_signal_teardown()
    with SyntheticHost(args.vms, args.build_dir) as host:
        print(f"synthetic hypervisor up: {args.vms} VMs in netns {NETNS}, files in {host.tmp}; "
              "Ctrl-C tears it down", flush=True)
        try:
            signal.pause()
        except KeyboardInterrupt:
            pass
    print("torn down")


if __name__ == "__main__":
    sys.exit(main())
