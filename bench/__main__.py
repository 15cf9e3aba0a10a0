"""`python -m bench [name …]`: run the named benchmarks (library, fanout), or all of them."""

import importlib
import sys

BENCHES = ("library", "fanout")


def main(argv: list[str]) -> None:
    names = [a for a in argv if not a.startswith("-")][:1] or list(BENCHES)
    rest = argv[1:] if argv and not argv[0].startswith("-") else argv
    for name in names:
        module = importlib.import_module(f"bench.{name}")
        print(f"### {name}", flush=True)
        module.main(rest if len(names) == 1 else [])


if __name__ == "__main__":
    main(sys.argv[1:])
