"""Elm's library: sources, text rules, models, detectors, metrics and report rendering.

No entry points live here: the DVC stages in ``stages/`` read params and inputs, call this package
and write outputs. It imports without DVC.
"""
