# Writes bench/cold_start.sh's ML-1M split as files for bench/standalone_train: training and warm
# test pairs, the held-out (cold) items and their positives, and item and user feature files.
# Usage: python3 bench/hybrid_files.py DATA_DIR/ml-1m OUT_DIR
import hashlib
import os
import re
import sys


def md5(text):
    """The hex md5 of text, as PostgreSQL's md5() gives it."""
    return hashlib.md5(text.encode()).hexdigest()


def main():
    """Reads the three ML-1M files and writes the split and the features to OUT_DIR."""
    src, out = sys.argv[1], sys.argv[2]
    os.makedirs(out, exist_ok=True)
    held_out = set()
    with open(os.path.join(src, "movies.dat"), encoding="latin-1") as f, open(
        os.path.join(out, "item_features.tsv"), "w"
    ) as items, open(os.path.join(out, "cold_items.txt"), "w") as cold:
        for line in f:
            movie, title, genres = line.rstrip("\n").split("::")
            if md5("cold-item-42:" + movie) < "33333333":
                held_out.add(movie)
                cold.write(movie + "\n")
            words = sorted(set(re.findall(r"[a-z]+", title.lower())))
            for w in words:
                items.write(f"{movie}\tword:{w}\t1\n")
            for g in genres.split("|"):
                items.write(f"{movie}\tgenre:{g}\t1\n")
    with open(os.path.join(src, "users.dat"), encoding="latin-1") as f, open(
        os.path.join(out, "user_features.tsv"), "w"
    ) as users:
        for line in f:
            user, gender, age, occupation, _ = line.rstrip("\n").split("::")
            for name, value in (("gender", gender), ("age", age), ("occupation", occupation)):
                users.write(f"{user}\t{name}:{value}\t1\n")
    with open(os.path.join(src, "ratings_uir.dat")) as f, open(
        os.path.join(out, "train.txt"), "w"
    ) as train, open(os.path.join(out, "test.txt"), "w") as test, open(
        os.path.join(out, "cold_test.txt"), "w"
    ) as cold_test:
        for line in f:
            user, item, rating = line.strip().split("::")
            if float(rating) < 4:
                continue
            if item in held_out:
                cold_test.write(f"{user} {item}\n")
            elif md5(f"warm-test-42:{user}:{item}") < "1999999a":
                test.write(f"{user} {item}\n")
            else:
                train.write(f"{user} {item}\n")


main()
