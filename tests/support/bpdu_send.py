#!/usr/bin/env python3
"""bpdu_send.py TAP COUNT: writes COUNT 802.1D configuration BPDUs into TAP, 0.2 s apart, as an
instance's virtio-net would (a frame written to a tap's fd is received by the host on the tap)."""
import fcntl, os, struct, sys, time
TUNSETIFF = 0x400454ca
fd = os.open("/dev/net/tun", os.O_RDWR)
fcntl.ioctl(fd, TUNSETIFF, struct.pack("16sH", sys.argv[1].encode(), 0x0002 | 0x1000))  # IFF_TAP|IFF_NO_PI
# An 802.1D configuration BPDU: 01:80:c2:00:00:00, length 38, LLC 42 42 03, 35 bytes of BPDU.
bpdu = bytes([0, 0, 0, 0, 0]) + bytes.fromhex("8000525400aabbcc") + bytes(4) + bytes.fromhex("8000525400aabbcc") + bytes.fromhex("8001") + bytes.fromhex("0000140002000f00")
frame = bytes.fromhex("0180c2000000") + bytes.fromhex("525400aabbcc") + struct.pack("!H", 3 + len(bpdu)) + bytes([0x42, 0x42, 0x03]) + bpdu
frame += bytes(max(0, 60 - len(frame)))
time.sleep(0.5)  # the tap has carrier once opened: let the bridge put its port into forwarding
for _ in range(int(sys.argv[2])):
    os.write(fd, frame)
    time.sleep(0.2)
