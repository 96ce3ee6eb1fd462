#!/usr/bin/env bash
# Writes prometheus-rule.yaml: roster.rules.yaml (plain rule groups, what promtool checks and tests) wrapped as the
# Prometheus operator's PrometheusRule, its groups under `spec`. Run it after changing roster.rules.yaml; the
# manifest tests (src/test/java/k8s/MonitoringTest) fail while the two differ.
set -euo pipefail
cd "$(dirname "$0")"
{
  cat <<'HEAD'
# Generated from roster.rules.yaml by build-prometheus-rule.sh: edit that file, not this one.
apiVersion: monitoring.coreos.com/v1
kind: PrometheusRule
metadata:
  name: roster
  labels:
    app.kubernetes.io/name: roster
spec:
HEAD
  grep -v '^#' roster.rules.yaml | sed -e 's/^\(.\)/  \1/'
} > prometheus-rule.yaml
