"""params.yaml, one typed section per stage, validated before any work starts.

Each section's schema is a frozen dataclass in its own module (``elm.params.clean.Clean``, ...), so a stage
depends on its own section's schema and on the shared validation (``elm.params.validation``) only: adding a
key to one section reruns only the stages that read it. A stage calls ``load(Clean, params_path)`` and gets
the section as a dataclass. Unknown keys, missing keys, wrong types and out-of-range values fail at once with
the key's full path and the fix ("did you mean ...?"), so a typo in a sweep never silently falls back to a
default. ``elm.params.sections`` gathers every section, for profiles and tests.
"""
