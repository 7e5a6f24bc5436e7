"""Detectors that tell real posts from generated ones, and how well they do (accuracy near 50%: they cannot).

features.py   word / character TF-IDF, surface features      leak.py     the leak check and its warning
detectors.py  the registry, fitting, scoring, outputs         metrics.py  accuracy + Wilson interval, ROC AUC, F1
data.py       reading and checking labelled posts, the split  neural.py   the fine-tuned transformer classifier
kinds.py      text only / surrogate / white-box
"""
