#!/usr/bin/env python3
"""bpdu_send.py TAP COUNT: writes COUNT 802.1D configuration BPDUs into TAP, 0.2 s apart, as an
instance's virtio-net would (a frame written to a tap's fd is received by the host on the tap).

bpdu_send.py --taps PREFIX N ROUNDS PAUSE: makes N taps PREFIX0 .. PREFIXN-1 (they last as long
as this process), brings them up, and writes one BPDU into each, ROUNDS times, PAUSE seconds
apart; then waits for a line on stdin (or its end) before closing them."""
import fcntl, os, socket, struct, sys, time
TUNSETIFF = 0x400454ca
SIOCGIFFLAGS, SIOCSIFFLAGS, IFF_UP = 0x8913, 0x8914, 0x1


def open_tap(name):
    fd = os.open("/dev/net/tun", os.O_RDWR)
    fcntl.ioctl(fd, TUNSETIFF, struct.pack("16sH", name.encode(), 0x0002 | 0x1000))  # IFF_TAP|IFF_NO_PI
    return fd


def up(sock, name):
    req = struct.pack("16sH", name.encode(), 0) + bytes(22)
    flags = struct.unpack_from("H", fcntl.ioctl(sock, SIOCGIFFLAGS, req), 16)[0]
    fcntl.ioctl(sock, SIOCSIFFLAGS, struct.pack("16sH", name.encode(), flags | IFF_UP) + bytes(22))


# An 802.1D configuration BPDU: 01:80:c2:00:00:00, length 38, LLC 42 42 03, 35 bytes of BPDU.
bpdu = bytes([0, 0, 0, 0, 0]) + bytes.fromhex("8000525400aabbcc") + bytes(4) + bytes.fromhex("8000525400aabbcc") + bytes.fromhex("8001") + bytes.fromhex("0000140002000f00")
frame = bytes.fromhex("0180c2000000") + bytes.fromhex("525400aabbcc") + struct.pack("!H", 3 + len(bpdu)) + bytes([0x42, 0x42, 0x03]) + bpdu
frame += bytes(max(0, 60 - len(frame)))

if sys.argv[1] == "--taps":
    prefix, n, rounds, pause = sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), float(sys.argv[5])
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    fds = []
    for i in range(n):
        fds.append(open_tap(prefix + str(i)))
        up(s, prefix + str(i))
    time.sleep(0.5)
    for r in range(rounds):
        for fd in fds:
            os.write(fd, frame)
        print("round", r + 1, flush=True)
        if r + 1 < rounds:
            time.sleep(pause)
    sys.stdin.readline()
    sys.exit(0)

fd = open_tap(sys.argv[1])
time.sleep(0.5)  # the tap has carrier once opened: let the bridge put its port into forwarding
for _ in range(int(sys.argv[2])):
    os.write(fd, frame)
    time.sleep(0.2)
