#!/usr/bin/python3
# Parses a Prometheus text exposition (0.0.4) from stdin with prometheus_client's own parser
# (python3-prometheus-client), an implementation independent of zefortd's. Requires every family
# to carry HELP and TYPE, then prints one line per sample: "name{k=v,...} value", sorted.
# Exit 1 with the parser's message on anything it refuses.
import re
import sys

from prometheus_client.parser import text_string_to_metric_families

text = sys.stdin.read()
try:
    helps = set(re.findall(r"^# HELP (\S+) ", text, re.M))
    types = set(re.findall(r"^# TYPE (\S+) ", text, re.M))
    lines = []
    for family in text_string_to_metric_families(text):
        name = family.name
        # the parser drops the _total suffix of a counter's family name
        if name not in helps and name + "_total" not in helps:
            raise ValueError("no HELP for " + name)
        if name not in types and name + "_total" not in types:
            raise ValueError("no TYPE for " + name)
        if family.type == "unknown":
            raise ValueError("untyped family " + name)
        for s in family.samples:
            labels = ",".join(f"{k}={v}" for k, v in sorted(s.labels.items()))
            lines.append(f"{s.name}{{{labels}}} {s.value:g}")
except Exception as e:  # the parser raises ValueError and others on bad input
    print("refused:", e)
    sys.exit(1)
print("\n".join(sorted(lines)))
