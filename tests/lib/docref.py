#!/usr/bin/env python3
"""The README's reference parts come from the programs themselves, so they
cannot drift: the sdnsctl synopsis between the docref markers is each
command's own --help (usage lines and option lines), written by
`make readme`; and every option of `sdnsd --help` has a row in the README's
options table, and every row names an option sdnsd has.

  docref.py write   regenerate the sdnsctl block in README.md
  docref.py check   exit 1, saying what differs, when README.md is stale
  docref.py man     exit 1, saying what differs, when the man pages are:
                    every option of sdnsd --help has an entry under OPTIONS
                    of man/sdnsd.8 and every entry names one; every sdnsctl
                    command has a subsection in man/sdnsctl.1 with every
                    usage line and option of its --help and no option it
                    lacks
BIN (default bin) names the build; MANDIR (default man) the pages."""
import os, re, subprocess, sys

BIN = os.environ.get("BIN", "bin")
BEGIN = "<!-- docref: sdnsctl (make readme writes this block) -->"
END = "<!-- /docref -->"
COMMANDS = [["pki", "init"], ["pki", "issue"], ["pki", "pin"],
            ["pki", "zonekey"], ["query"], ["bench"], ["zone"], ["record"],
            ["peer"], ["audit"], ["enroll"], ["bench-api"], ["bench-mesh"],
            ["bench-sign"]]
OPT = re.compile(r"(?<![\w-])--[a-z][a-z0-9-]*")


def help_of(prog, args):
    p = subprocess.run([os.path.join(BIN, prog)] + args + ["--help"],
                       capture_output=True, text=True, timeout=20)
    return p.stdout + p.stderr


def synopsis(args):
    """The usage lines (up to the first blank line) and the option lines."""
    lines, out, in_usage = help_of("sdnsctl", args).splitlines(), [], True
    for ln in lines:
        if in_usage:
            if not ln.strip():
                in_usage = False
                continue
            out.append(ln)
        elif re.match(r"^  +--[a-z]", ln) or (out and out[-1].startswith("  ")
                                             and re.match(r"^ {10,}\S", ln)):
            out.append(ln)
    return out


def block():
    body = []
    for c in COMMANDS:
        body += ["    " + ln for ln in synopsis(c)] + [""]
    return BEGIN + "\n\n" + "\n".join(body).rstrip() + "\n\n" + END


def sdnsd_problems(readme):
    # the options table: from its header row to the first line that is no row
    lines = readme.splitlines()
    start = lines.index("| option | default | meaning |")
    rows = []
    for ln in lines[start + 2:]:
        if not ln.startswith("|"):
            break
        rows.append(ln)
    table = "\n".join(rows)
    have = set(OPT.findall(help_of("sdnsd", []))) - {"--help"}
    documented = set()
    for row in table.splitlines():
        first = row.split("|")[1]
        documented |= set(OPT.findall(first))
    probs = ["sdnsd %s has no row in the README's options table" % o
             for o in sorted(have - documented)]
    probs += ["the README's options table names %s, which sdnsd --help does "
              "not have" % o for o in sorted(documented - have)]
    return probs


def deroff(text):
    """Roff source to the words a reader sees: escapes and fonts gone."""
    text = re.sub(r"\\f(\[[^]]*\]|\(..|.)", "", text)
    text = text.replace("\\-", "-").replace("\\(aq", "'").replace("\\e", "\\")
    return text


def man_sections(path, macro):
    """{heading: body} for each .SH (macro SH) or .SS (SS) of a man page."""
    out, cur = {}, None
    for ln in open(path).read().splitlines():
        m = re.match(r'^\.(SH|SS)\s+"?(.*?)"?\s*$', ln)
        if m and m.group(1) == macro:
            cur = deroff(m.group(2))
            out[cur] = []
        elif m and macro == "SS" and m.group(1) == "SH":
            cur = None
        elif cur is not None:
            out[cur].append(ln)
    return {k: "\n".join(v) for k, v in out.items()}


def usage_lines(args):
    """The usage lines of a command's --help, without the "usage: "."""
    lines = help_of("sdnsctl", args).splitlines()
    out = [re.sub(r"^usage: ", "", lines[0])]
    for ln in lines[1:]:
        if not re.match(r"^ {5,}\S", ln):   # continuations are indented
            break
        out.append(ln)
    return out


def man_problems():
    mandir = os.environ.get("MANDIR", "man")
    probs = []
    page = os.path.join(mandir, "sdnsd.8")
    opts = man_sections(page, "SH").get("OPTIONS", "")
    # an entry is the line after .TP; it starts with the option it documents
    tags = re.findall(r"^\.TP\n(.*)$", opts, re.M)
    documented = set()
    for t in tags:
        t = re.sub(r"^\.[A-Z]+\s+", "", deroff(t))
        documented |= set(OPT.findall(t.split(" ")[0]))
    have = set(OPT.findall(help_of("sdnsd", [])))
    probs += ["sdnsd %s has no entry under OPTIONS in %s" % (o, page)
              for o in sorted(have - documented)]
    probs += ["%s documents %s, which sdnsd --help does not have" % (page, o)
              for o in sorted(documented - have)]
    page = os.path.join(mandir, "sdnsctl.1")
    subs = man_sections(page, "SS")
    for c in COMMANDS:
        head = "sdnsctl " + " ".join(c)
        if head not in subs:
            probs.append("%s has no subsection \"%s\"" % (page, head))
            continue
        # the whole --help: usage, prose (the API line) and option lines
        want = set(OPT.findall(help_of("sdnsctl", c))) | {"--help"}
        got = set(OPT.findall(deroff(subs[head])))
        # and its synopsis: every usage line, spaces aside
        text = " ".join(deroff(subs[head]).split())
        for ln in usage_lines(c):
            if " ".join(ln.split()) not in text:
                probs.append("%s under \"%s\" lacks the usage line \"%s\""
                             % (page, head, ln.strip()))
        probs += ["%s --%s is not in %s under \"%s\"" % (head, o[2:], page, head)
                  for o in sorted(want - got - {"--help"})]
        probs += ["%s under \"%s\" names %s, which %s --help does not have"
                  % (page, head, o, head) for o in sorted(got - want)]
    extra = set(subs) - {"sdnsctl " + " ".join(c) for c in COMMANDS}
    probs += ["%s has a subsection \"%s\" for no command" % (page, h)
              for h in sorted(extra)]
    return probs


def main():
    mode = sys.argv[1] if len(sys.argv) > 1 else "check"
    if mode == "man":
        probs = man_problems()
        print("\n".join(probs))
        return 1 if probs else 0
    readme = open("README.md").read()
    if BEGIN not in readme or END not in readme:
        sys.exit("README.md lacks the docref markers")
    a, b = readme.index(BEGIN), readme.index(END) + len(END)
    fresh = readme[:a] + block() + readme[b:]
    if mode == "write":
        open("README.md", "w").write(fresh)
        return 0
    probs = sdnsd_problems(readme)
    if fresh != readme:
        import difflib
        diff = difflib.unified_diff(readme[a:b].splitlines(),
                                    block().splitlines(), "README.md",
                                    "sdnsctl --help", lineterm="", n=0)
        probs.append("the sdnsctl reference differs from the programs' --help "
                     "(run make readme):\n" + "\n".join(list(diff)[:40]))
    print("\n".join(probs))
    return 1 if probs else 0


if __name__ == "__main__":
    sys.exit(main())
