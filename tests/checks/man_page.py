#!/usr/bin/env python3
"""The man page (packaging/virtnet_exporter.1) and --help name the same flags and subcommands.

From --help (and each subcommand's --help): every long flag in the first column of an option
line, and the names under "Subcommands:". From the man page: every long flag on the line that
follows a .TP (the option's own line), and the commands under .SH COMMANDS. Prints what one has
and the other lacks; exit 1 if anything. Usage: man_page.py BINARY MAN_PAGE
"""
import re
import subprocess
import sys

FLAG = re.compile(r"--[a-z][a-z0-9.-]*[a-z0-9]")


def help_text(binary, *args):
    return subprocess.run([binary, *args, "--help"], capture_output=True, text=True,
                          check=True).stdout


def from_help(binary):
    flags, subcommands = set(), []
    main = help_text(binary)
    section = None
    for line in main.splitlines():
        if re.match(r"^\S.*:$", line):
            section = line.rstrip(":")
            continue
        if section == "Subcommands" and re.match(r"^  \w", line):
            subcommands.append(line.split()[0])
    texts = [main] + [help_text(binary, s) for s in subcommands]
    for text in texts:
        for line in text.splitlines():
            m = re.match(r"^\s+(-\S+)", line)
            if m:
                first = re.sub(r"\{[^}]*\}", "", m.group(1)).split("=")[0]
                flags.update(f for f in first.split(",") if FLAG.fullmatch(f))
    return flags, set(subcommands)


def plain(roff_line):
    s = re.sub(r"^\.\w+\s*", "", roff_line)
    s = s.replace("\\-", "-")
    s = re.sub(r"\\f[BIRP]", "", s)
    return s.replace('"', " ")


def from_man(path):
    lines = open(path, encoding="utf-8").read().splitlines()
    flags, commands = set(), set()
    section = None
    for i, line in enumerate(lines):
        if line.startswith(".SH"):
            section = line[3:].strip().strip('"')
            continue
        if line.strip() != ".TP" or i + 1 >= len(lines):
            continue
        head = lines[i + 1]
        if not head.startswith(".B"):
            continue
        text = plain(head)
        found = set(FLAG.findall(text))
        flags.update(found)
        if section == "COMMANDS" and not found:
            commands.add(text.split()[0])
    return flags, commands


def main():
    binary, man = sys.argv[1], sys.argv[2]
    help_flags, help_subs = from_help(binary)
    man_flags, man_subs = from_man(man)
    problems = []
    for f in sorted(help_flags - man_flags):
        problems.append(f"--help has {f}, the man page does not")
    for f in sorted(man_flags - help_flags):
        problems.append(f"the man page has {f}, --help does not")
    for s in sorted(help_subs ^ man_subs):
        problems.append(f"subcommand {s}: in {'--help' if s in help_subs else 'the man page'} only")
    if len(help_flags) < 10 or not help_subs:
        problems.append(f"read only {len(help_flags)} flags and {len(help_subs)} subcommands "
                        "from --help: the parsing is off")
    for p in problems:
        print(p)
    if problems:
        return 1
    print(f"man_page: {len(help_flags)} flags and {len(help_subs)} subcommands, the same in both")
    return 0


if __name__ == "__main__":
    sys.exit(main())
