"""The scikit-learn baseline for `simak bench classify`.

TF-IDF (word 1-2 grams, sublinear tf) + class-balanced logistic regression, trained on SmSA train, the baseline the sentiment
issue names (macro-F1 ~0.75 on SmSA test). Prints one JSON line: its macro-F1 on test and its
prediction throughput on the texts given, one at a time (as a streaming analyzer sees them) and
in one batch, on one core.

    python sklearn_baseline.py TRAIN.tsv TEST.tsv TEXTS.txt
"""
import json
import os
import sys
import time

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

from sklearn.feature_extraction.text import TfidfVectorizer  # noqa: E402
from sklearn.linear_model import LogisticRegression  # noqa: E402
from sklearn.metrics import f1_score  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402


def read(path):
    texts, labels = [], []
    with open(path, encoding="utf-8") as f:
        for line in f:
            t, _, l = line.rstrip("\n").rpartition("\t")
            texts.append(t)
            labels.append(l)
    return texts, labels


train_x, train_y = read(sys.argv[1])
test_x, test_y = read(sys.argv[2])
with open(sys.argv[3], encoding="utf-8") as f:
    texts = [l.rstrip("\n") for l in f]

model = make_pipeline(TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True), LogisticRegression(max_iter=1000, class_weight="balanced"))
model.fit(train_x, train_y)
f1 = f1_score(test_y, model.predict(test_x), average="macro")

sample = texts[:5000]
t0 = time.perf_counter()
for t in sample:
    model.predict([t])
one = len(sample) / (time.perf_counter() - t0)

t0 = time.perf_counter()
model.predict(texts)
batch = len(texts) / (time.perf_counter() - t0)

print(json.dumps({"macro_f1": f1, "one_at_a_time_per_s": one, "batch_per_s": batch}))
