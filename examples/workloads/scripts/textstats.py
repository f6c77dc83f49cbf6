# perfvec workload (python3): tokenises a text, counts words and letter
# trigrams in dicts, builds a Markov chain and walks it with a fixed seed,
# and runs a small object-heavy simulation. Usage: python3 textstats.py TEXT
import random
import sys
from collections import Counter, defaultdict


class Account:
    __slots__ = ("owner", "balance", "history")

    def __init__(self, owner):
        self.owner = owner
        self.balance = 0
        self.history = []

    def deposit(self, amount):
        self.balance += amount
        self.history.append(amount)


def main(path):
    with open(path, encoding="ascii") as f:
        text = f.read()
    words = [w.strip(".,!?").lower() for w in text.split()]
    counts = Counter(words)
    trigrams = Counter(text[i:i + 3] for i in range(0, len(text) - 3, 7))
    chain = defaultdict(list)
    for a, b in zip(words, words[1:]):
        if len(chain[a]) < 64:
            chain[a].append(b)
    rng = random.Random(12345)
    word, walk = "the", []
    for _ in range(20000):
        nxt = chain.get(word)
        word = rng.choice(nxt) if nxt else "the"
        walk.append(word)
    accounts = {w: Account(w) for w in list(counts)[:150]}
    for i, w in enumerate(words[:200000]):
        acct = accounts.get(w)
        if acct is not None:
            acct.deposit(i % 97)
    richest = sorted(accounts.values(), key=lambda a: (-a.balance, a.owner))[:5]
    print("words", len(words), "distinct", len(counts))
    print("top", counts.most_common(10))
    print("trigrams", trigrams.most_common(5))
    print("walk", " ".join(walk[:30]))
    print("richest", [(a.owner, a.balance, len(a.history)) for a in richest])


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: python3 textstats.py TEXT")
    main(sys.argv[1])
