#!/usr/bin/env bash
# Checks the alerts and the dashboard's queries with promtool (from Prometheus; Debian: apt-get install
# prometheus): the rule groups are valid, their unit tests pass (tests/*.yaml: each alert fires when it should
# and stays quiet when it should), and every dashboard query parses as PromQL. .ci/run runs it.
set -euo pipefail
cd "$(dirname "$0")"

for tool in promtool jq; do
  if ! command -v "$tool" >/dev/null; then
    echo "check-rules: missing tool: $tool (Debian: apt-get install --no-install-recommends prometheus jq)" >&2
    exit 1
  fi
done

promtool check rules roster.rules.yaml
(cd tests && promtool test rules *.yaml)

# Each panel's query as a recording rule, so promtool parses it; Grafana's $__rate_interval becomes a duration.
queries=$(mktemp --suffix=.json)
trap 'rm -f "$queries"' EXIT
jq '{groups: [{name: "dashboard", rules: ([.. | objects | select(has("expr")) | .expr] | to_entries
      | map({record: "dashboard:query_\(.key)", expr: (.value | gsub("\\$__rate_interval"; "5m"))}))}]}' \
  dashboards/roster.json > "$queries"
echo "dashboard queries:"
promtool check rules "$queries"
