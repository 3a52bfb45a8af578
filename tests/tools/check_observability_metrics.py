#!/usr/bin/python3
"""Checks that the Grafana dashboard and the alert rules query only what the services export.

    check_observability_metrics.py DASHBOARD ALERTS [--static | --as-rules]

DASHBOARD is infra/observability/grafana-dashboard.json, ALERTS infra/observability/alerts.yml.

Always (and only, with --static): the dashboard is valid JSON with a Prometheus datasource variable
that every panel and query uses; every panel has queries; every query and every alert expression
names at least one of the platform's metrics, and no metric this check cannot judge.

Without --static, stdin is the Prometheus text of the running services' /metrics, concatenated.
Then every metric an expression names must have a sample there (histograms by their _bucket /
_sum / _count series, as the queries name them); every label a selector matches on and every label
a `by (...)` groups by must occur on those samples; an equality matcher's value must occur. `job`
and `instance` are exempt: Prometheus adds them when it scrapes (infra/observability/prometheus.yml).
Exit 0 when everything holds; otherwise 1, with one line per problem.

With --as-rules it checks nothing and prints a Prometheus rule file with every dashboard query as a
recording rule (Grafana's interval variables replaced by 5m), for `promtool check rules` to parse:
the dashboard's PromQL gets the same syntax check as the alert rules.
"""
import argparse
import json
import re
import sys
from collections import defaultdict

import yaml

# The services' metric names start with one of these (MetricsRegistry users in the three services
# and infra/platform). `up` is Prometheus's own per-target series.
METRIC_PREFIXES = ("orders_", "projection_", "http_")
PROMETHEUS_SERIES = {"up"}
TARGET_LABELS = {"job", "instance"}

AGGREGATORS = {"sum", "min", "max", "avg", "count", "stddev", "stdvar", "topk", "bottomk", "quantile",
               "count_values", "group"}
GROUPING_KEYWORDS = {"by", "without"}
MATCHING_KEYWORDS = {"on", "ignoring", "group_left", "group_right"}
OPERATOR_KEYWORDS = {"and", "or", "unless", "bool", "offset", "atan2"}

TOKEN = re.compile(r'''
    "(?:[^"\\]|\\.)*" | '(?:[^'\\]|\\.)*' | `[^`]*`   # string literals
  | \[[^\]]*\]                                      # range or subquery durations, Grafana variables
  | [A-Za-z_:][A-Za-z0-9_:]*                          # identifiers
  | \d+(?:\.\d+)?(?:[eE][+-]?\d+)?                   # numbers
  | =~ | !~ | != | == | >= | <=                     # two-character operators
  | \S                                              # anything else, one character
''', re.VERBOSE)


class Selector:
    def __init__(self, metric, position):
        self.metric = metric
        self.position = position
        self.matchers = []  # (label, operator, value)


class Grouping:
    def __init__(self, labels, body_start, body_end):
        self.labels = labels
        self.body = (body_start, body_end)


def unquote(literal):
    body = literal[1:-1]
    return body if literal[0] == "`" else re.sub(r"\\(.)", r"\1", body)


def closing(tokens, opening):
    """Index of the parenthesis that closes tokens[opening] (an opening one)."""
    depth = 0
    for index in range(opening, len(tokens)):
        if tokens[index] == "(":
            depth += 1
        elif tokens[index] == ")":
            depth -= 1
            if depth == 0:
                return index
    raise ValueError("unbalanced parentheses")


def parse(expression):
    """The selectors, `by (...)` groupings and unjudgeable identifiers of a PromQL expression."""
    tokens = TOKEN.findall(expression)
    selectors, groupings, unknown = [], [], []
    index = 0
    while index < len(tokens):
        token = tokens[index]
        following = tokens[index + 1] if index + 1 < len(tokens) else ""
        if not re.match(r"[A-Za-z_:]", token):
            index += 1
            continue
        if token in GROUPING_KEYWORDS | MATCHING_KEYWORDS:
            # A label list: `by (a, b)`; for an aggregation written `sum by (a) (body)` its body follows.
            end = closing(tokens, index + 1)
            labels = [label for label in tokens[index + 2:end] if label != ","]
            if token == "by" and end + 1 < len(tokens) and tokens[end + 1] == "(":
                groupings.append(Grouping(labels, end + 1, closing(tokens, end + 1)))
            index = end + 1
            continue
        if following == "(" or token in AGGREGATORS or token in OPERATOR_KEYWORDS:
            index += 1  # a function, an aggregation or a keyword operator
            continue
        selector = Selector(token, index)
        index += 1
        if index < len(tokens) and tokens[index] == "{":
            end = tokens.index("}", index)
            matchers = [t for t in tokens[index + 1:end] if t != ","]
            for at in range(0, len(matchers) - 2, 3):
                selector.matchers.append((matchers[at], matchers[at + 1], unquote(matchers[at + 2])))
            index = end + 1
        if selector.metric.startswith(METRIC_PREFIXES) or selector.metric in PROMETHEUS_SERIES:
            selectors.append(selector)
        else:
            unknown.append(selector.metric)
    return selectors, groupings, unknown


def dashboard_queries(dashboard, problems):
    """(where, expression) of every query of every panel, rows' nested panels included."""
    templating = dashboard.get("templating", {}).get("list", [])
    datasource_variables = [v["name"] for v in templating
                            if v.get("type") == "datasource" and v.get("query") == "prometheus"]
    if not datasource_variables:
        problems.append("dashboard: no Prometheus datasource variable (templating: type datasource, query prometheus)")
    expected_uid = "${%s}" % datasource_variables[0] if datasource_variables else None
    queries = []
    panels = list(dashboard.get("panels", []))
    while panels:
        panel = panels.pop(0)
        if panel.get("type") == "row":
            panels.extend(panel.get("panels", []))
            continue
        where = "dashboard panel %r" % panel.get("title")
        targets = panel.get("targets", [])
        if not targets:
            problems.append(where + ": no queries")
        for source in [panel] + targets:
            if expected_uid and source.get("datasource", {}).get("uid") != expected_uid:
                problems.append(where + ": datasource is not the variable " + expected_uid)
        for target in targets:
            if not target.get("expr"):
                problems.append(where + ": query %s has no expr" % target.get("refId"))
            else:
                queries.append((where, target["expr"]))
    return queries


GRAFANA_INTERVALS = re.compile(r"\$(?:__rate_interval|__interval|__range)|\$\{(?:__rate_interval|__interval|__range)\}")


def dashboard_as_rules(queries):
    rules = [{"record": "dashboard:query_%d" % number, "expr": GRAFANA_INTERVALS.sub("5m", expression)}
             for number, (_, expression) in enumerate(queries, start=1)]
    return yaml.safe_dump({"groups": [{"name": "dashboard-queries", "rules": rules}]}, sort_keys=False)


def alert_expressions(rules):
    expressions = []
    for group in rules.get("groups", []):
        for rule in group.get("rules", []):
            name = rule.get("alert") or rule.get("record")
            expressions.append(("alert %s" % name, rule["expr"]))
    return expressions


def exported_samples(text):
    """metric name -> label name -> set of values seen, from Prometheus text."""
    samples = defaultdict(lambda: defaultdict(set))
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        match = re.match(r"([A-Za-z_:][A-Za-z0-9_:]*)(\{.*\})?\s+\S+", line)
        if not match:
            continue
        labels = samples[match.group(1)]
        for label, value in re.findall(r'([A-Za-z_][A-Za-z0-9_]*)="((?:[^"\\]|\\.)*)"', match.group(2) or ""):
            labels[label].add(value)
    return samples


def check_live(where, selectors, groupings, samples, problems):
    for selector in selectors:
        if selector.metric in PROMETHEUS_SERIES:
            continue
        if selector.metric not in samples:
            problems.append("%s: %s is not exported by any service" % (where, selector.metric))
            continue
        labels = samples[selector.metric]
        for label, operator, value in selector.matchers:
            if label in TARGET_LABELS:
                continue
            if label not in labels:
                problems.append("%s: %s has no label %r" % (where, selector.metric, label))
            elif operator == "=" and value not in labels[label]:
                problems.append("%s: %s{%s=%r} matches no exported sample (seen: %s)"
                                % (where, selector.metric, label, value, ", ".join(sorted(labels[label]))))
    for grouping in groupings:
        # Only exported ones: a missing metric is reported once, above.
        inside = [s.metric for s in selectors
                  if grouping.body[0] < s.position < grouping.body[1] and s.metric in samples]
        if not inside:
            continue
        for label in grouping.labels:
            if label in TARGET_LABELS:
                continue
            if not any(label in samples.get(metric, {}) for metric in inside):
                problems.append("%s: groups by %r, which none of %s carries" % (where, label, ", ".join(inside)))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("dashboard")
    parser.add_argument("alerts")
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--static", action="store_true", help="do not read /metrics text from stdin")
    mode.add_argument("--as-rules", action="store_true", help="print the dashboard's queries as a rule file")
    args = parser.parse_args()

    problems = []
    try:
        dashboard = json.load(open(args.dashboard))
    except ValueError as error:
        print("dashboard: not valid JSON: %s" % error)
        return 1
    queries = dashboard_queries(dashboard, problems)
    if args.as_rules:
        print(dashboard_as_rules(queries), end="")
        return 0
    expressions = queries + alert_expressions(yaml.safe_load(open(args.alerts)))
    samples = None if args.static else exported_samples(sys.stdin.read())
    if samples is not None and not samples:
        problems.append("stdin: no metric samples")

    named = set()
    for where, expression in expressions:
        try:
            selectors, groupings, unknown = parse(expression)
        except ValueError as error:
            problems.append("%s: cannot read %r: %s" % (where, expression, error))
            continue
        named.update(s.metric for s in selectors)
        if not selectors:
            problems.append("%s: names none of the services' metrics: %s" % (where, expression))
        for metric in unknown:
            problems.append("%s: %s is neither a metric of the services (%s) nor one of Prometheus's own"
                            % (where, metric, ", ".join(METRIC_PREFIXES)))
        if samples:
            check_live(where, selectors, groupings, samples, problems)

    for problem in problems:
        print(problem)
    print("%d expressions, %d metric names: %s" % (len(expressions), len(named), " ".join(sorted(named))))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
