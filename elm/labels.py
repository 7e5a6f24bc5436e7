"""The label every labelled table of posts uses: 1 for a real post, 0 for a generated one."""

REAL_LABEL = 1
GENERATED_LABEL = 0
LABEL_NAMES = {REAL_LABEL: "real", GENERATED_LABEL: "generated"}
