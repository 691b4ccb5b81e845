{{/* Names, labels and shared pieces of the Sillage chart. */}}

{{- define "sillage.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "sillage.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{- define "sillage.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "sillage.selectorLabels" -}}
app.kubernetes.io/name: {{ include "sillage.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "sillage.labels" -}}
helm.sh/chart: {{ include "sillage.chart" . }}
{{ include "sillage.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: sillage
{{- end -}}

{{- define "sillage.image" -}}
{{- printf "%s:%s" .Values.image.repository (default (printf "%s-server" .Chart.AppVersion) .Values.image.tag) -}}
{{- end -}}

{{- define "sillage.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "sillage.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{/* The Secret holding the ClickHouse URL (key "url") and password (key "password"). */}}
{{- define "sillage.clickhouseSecret" -}}
{{- default (printf "%s-clickhouse" (include "sillage.fullname" .)) .Values.clickhouse.existingSecret -}}
{{- end -}}

{{/* Service name of the ClickHouse cluster: the operator's, or an external host. */}}
{{- define "sillage.clickhouseHost" -}}
{{- if .Values.clickhouse.operator.enabled -}}
{{- printf "clickhouse-%s.%s.svc" (include "sillage.fullname" .) .Release.Namespace -}}
{{- else -}}
{{- required "clickhouse.host is required when clickhouse.operator.enabled is false (or set clickhouse.existingSecret)" .Values.clickhouse.host -}}
{{- end -}}
{{- end -}}

{{/* Helm hooks of the migrations Job (see values.yaml, migrations.hook). */}}
{{- define "sillage.migrationsHook" -}}
{{- if eq .Values.migrations.hook "auto" -}}
{{- if .Values.clickhouse.operator.enabled -}}post-install,pre-upgrade{{- else -}}pre-install,pre-upgrade{{- end -}}
{{- else -}}
{{- .Values.migrations.hook -}}
{{- end -}}
{{- end -}}

{{/* Environment shared by every sillage container. */}}
{{- define "sillage.env" -}}
- name: SILLAGE_CLICKHOUSE_URL
  valueFrom:
    secretKeyRef:
      name: {{ include "sillage.clickhouseSecret" . }}
      key: url
- name: SILLAGE_CLUSTER
  value: {{ .Values.clickhouse.cluster | quote }}
- name: SILLAGE_DATA
  value: /var/lib/sillage
- name: SILLAGE_LOG_LEVEL
  value: {{ .Values.logLevel | quote }}
- name: SILLAGE_LOG_FORMAT
  value: json
{{- end -}}

{{/* Probes of a long-running sillage container on port "http". */}}
{{- define "sillage.probes" -}}
startupProbe:
  httpGet:
    path: /healthz
    port: http
  periodSeconds: 5
  failureThreshold: 60
livenessProbe:
  httpGet:
    path: /healthz
    port: http
  periodSeconds: 10
  timeoutSeconds: 3
  failureThreshold: 6
readinessProbe:
  httpGet:
    path: /readyz
    port: http
  periodSeconds: 5
  timeoutSeconds: 3
  failureThreshold: 3
{{- end -}}
