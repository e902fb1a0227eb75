"""The scikit-learn baseline for the sentiment model, on the same data.

TF-IDF (word 1-2 grams, sublinear tf) + class-balanced logistic regression, trained on the rows
`simak train sentiment --splits-out DIR` trained on (DIR/train.tsv: SmSA train, the train parts
of the extra files, the posts written for the project), then scored on each file given, with the
metrics `simak eval sentiment` uses: macro-F1 over the three classes for 3-class files; for files
labelled only positive/negative, macro-F1 of the more likely of the two ("binary") and of the
3-class argmax with a neutral prediction counted as wrong ("strict").

    python sentiment_baseline.py DIR/train.tsv TEST.tsv [TEST.tsv ...]
"""
import json
import os
import sys

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

from sklearn.feature_extraction.text import TfidfVectorizer  # noqa: E402
from sklearn.linear_model import LogisticRegression  # noqa: E402
from sklearn.metrics import f1_score  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402


def read(path):
    texts, labels = [], []
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f):
            line = line.rstrip("\n")
            comment = line.startswith("#") and "\t" not in line
            if not line.strip() or comment or (n == 0 and line == "text\tlabel"):
                continue
            t, _, l = line.rpartition("\t")
            texts.append(t)
            labels.append(l)
    return texts, labels


train_x, train_y = read(sys.argv[1])
model = make_pipeline(
    TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True),
    LogisticRegression(max_iter=1000, class_weight="balanced"),
)
model.fit(train_x, train_y)
classes = list(model.classes_)
for path in sys.argv[2:]:
    x, y = read(path)
    proba = model.predict_proba(x)
    out = {"file": path, "n": len(x)}
    strict = [classes[max(range(len(classes)), key=lambda i: p[i])] for p in proba]
    if "neutral" in y:
        out["macro_f1"] = f1_score(y, strict, average="macro")
    else:
        neg, pos = classes.index("negative"), classes.index("positive")
        binary = ["positive" if p[pos] >= p[neg] else "negative" for p in proba]
        out["binary_macro_f1"] = f1_score(y, binary, average="macro", labels=["negative", "positive"])
        out["strict_macro_f1"] = f1_score(y, strict, average="macro", labels=["negative", "positive"])
        out["neutral_share"] = sum(s == "neutral" for s in strict) / len(strict)
    print(json.dumps(out))
