"""`python -m bench [name …]`: run the named benchmarks (library, fanout, pages, attachments), or
all of them.

The load average is printed first, with a warning when the machine is busy."""

import importlib
import sys

from bench.harness import load_line

BENCHES = ("library", "fanout", "pages", "attachments")


def main(argv: list[str]) -> None:
    names = [a for a in argv if not a.startswith("-")][:1] or list(BENCHES)
    rest = argv[1:] if argv and not argv[0].startswith("-") else argv
    print(load_line(), flush=True)
    for name in names:
        module = importlib.import_module(f"bench.{name}")
        print(f"### {name}", flush=True)
        module.main(rest if len(names) == 1 else [])


if __name__ == "__main__":
    main(sys.argv[1:])
