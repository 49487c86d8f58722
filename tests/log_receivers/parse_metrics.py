"""Reads a Prometheus text exposition on stdin with the official parser (PyPI
prometheus_client) and prints its families as JSON: {name: {"type": ..., "samples":
[[sample name, labels, value], ...]}}. Exits non-zero when the text does not parse."""

import json
import math
import sys

from prometheus_client.parser import text_string_to_metric_families


def main():
    families = {}
    for family in text_string_to_metric_families(sys.stdin.read()):
        samples = [
            [s.name, s.labels, None if math.isinf(s.value) else s.value]
            for s in family.samples
        ]
        families[family.name] = {"type": family.type, "samples": samples}
    json.dump(families, sys.stdout)


if __name__ == "__main__":
    main()
