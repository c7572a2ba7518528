"""Programs that cannot be exec'd, each for its own reason, written into a
directory: for tests of the exec diagnosis through cfsrun, Podman and ctr.
Each is (file name, words the error must contain)."""
import os
import shutil
import struct


def elf_header(machine):
    """A 64-bit little-endian ELF executable header for MACHINE, no more."""
    ident = b"\x7fELF" + bytes([2, 1, 1, 0]) + bytes(8)
    return ident + struct.pack("<HHIQQQIHHHHHH", 2, machine, 1, 0x400000, 64, 0, 0, 64, 56, 0, 64, 0, 0)


def write(directory):
    """Write the programs into DIRECTORY; return [(name, [expected words])]."""
    progs = []

    def put(name, data, expect):
        path = os.path.join(directory, name)
        with open(path, "wb") as f:
            f.write(data)
        os.chmod(path, 0o755)
        progs.append((name, expect))

    put("crlf.sh", b"#!/bin/sh\r\necho hi\r\n", ["carriage return"])
    put("arm64", elf_header(183), ["built for arm64, not for x86-64"])
    # The host's own dynamically linked true: its loader is not in busybox.
    true = shutil.which("true") or "/usr/bin/true"
    with open(true, "rb") as f:
        put("dyntrue", f.read(), ["ELF interpreter", "/lib64/ld-linux-x86-64.so.2"])
    return progs
