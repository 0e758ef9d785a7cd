"""Top costs in a py-spy profile of the bot (collapsed stacks, `py-spy record --format raw`,
as `bench/load.py --profile DIR` writes them), per message.

    python bench/profile_top.py DIR/returning.txt --messages 1000 --rate 100 [--top 25] [--match bot/]

Each sample is one thread seen on a CPU, i.e. 1/rate s of CPU time. "self" is where the thread
was, "incl" counts a function once per sample anywhere on the stack; both in ms per message.
"""

from __future__ import annotations

import argparse
import re
from collections import Counter
from pathlib import Path

_LOCATION = re.compile(r"\((?:.*/site-packages/|.*/lib/python3\.\d+/|.*?/(?=bot/))?([^()]*?):\d+\)$")


def frame_name(frame: str) -> str:
    """`func (path/to/file.py:12)` → `func (file path from the package on)`, line dropped."""
    match = _LOCATION.search(frame)
    func = frame.split(" (", 1)[0]
    return f"{func} ({match.group(1)})" if match else frame


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("profile", type=Path)
    parser.add_argument("--messages", type=int, required=True)
    parser.add_argument("--rate", type=int, default=100)
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--match", default="", help="only inclusive rows whose name holds this")
    args = parser.parse_args()
    own: Counter[str] = Counter()
    incl: Counter[str] = Counter()
    total = 0
    for line in args.profile.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        n = int(count)
        frames = [frame_name(f) for f in stack.split(";") if not f.startswith(("process ", "thread "))]
        total += n
        if frames:
            own[frames[-1]] += n
        for name in set(frames):
            incl[name] += n
    per = 1000 / args.rate / args.messages  # ms of CPU per sample and message
    print(f"{total} samples = {total * per:.2f} ms CPU per message ({args.messages} messages)")
    print("-- self --")
    for name, n in own.most_common(args.top):
        print(f"{n * per:7.3f} ms {100 * n / total:5.1f}%  {name}")
    print("-- inclusive --")
    rows = [(name, n) for name, n in incl.most_common() if args.match in name][: args.top]
    for name, n in rows:
        print(f"{n * per:7.3f} ms {100 * n / total:5.1f}%  {name}")


if __name__ == "__main__":
    main()
