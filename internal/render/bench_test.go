package render

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"helm.sh/helm/v4/pkg/chart/common"
	chart "helm.sh/helm/v4/pkg/chart/v2"
	chartutil "helm.sh/helm/v4/pkg/chart/v2/util"

	"os"
)

// midSizeChart builds a chart the size of a typical application chart: helpers, and 12
// components each with a Deployment, Service, ConfigMap, ServiceAccount, HPA and PDB (72
// resources, about 1,500 lines rendered; 36 of them change with the version).
func midSizeChart(tb testing.TB, version string) *Chart {
	tb.Helper()
	var values strings.Builder
	values.WriteString("image:\n  repository: registry.example/app\n  tag: " + version + "\ncomponents:\n")
	for i := range 12 {
		fmt.Fprintf(&values, "  - name: component-%02d\n    replicas: %d\n    port: %d\n    env:\n      LOG_LEVEL: info\n      FEATURE_%d: \"on\"\n", i, 1+i%3, 8000+i, i)
	}
	tpl := func(name, body string) *common.File {
		return &common.File{Name: "templates/" + name, Data: []byte(body)}
	}
	ch := &chart.Chart{
		Metadata: &chart.Metadata{APIVersion: "v2", Name: "mid", Version: version, AppVersion: version},
		Raw:      []*common.File{{Name: "values.yaml", Data: []byte(values.String())}},
		Templates: []*common.File{
			tpl("_helpers.tpl", `{{- define "mid.labels" -}}
app.kubernetes.io/name: {{ .root.Chart.Name }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .c.name }}
app.kubernetes.io/version: {{ .root.Chart.AppVersion | quote }}
{{- end }}`),
			tpl("all.yaml", `{{- range $c := .Values.components }}
{{- $ctx := dict "root" $ "c" $c }}
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ $.Release.Name }}-{{ $c.name }}
  labels: {{- include "mid.labels" $ctx | nindent 4 }}
spec:
  replicas: {{ $c.replicas }}
  selector:
    matchLabels: {{- include "mid.labels" $ctx | nindent 6 }}
  template:
    metadata:
      labels: {{- include "mid.labels" $ctx | nindent 8 }}
      annotations:
        checksum/config: {{ toYaml $c.env | sha256sum }}
    spec:
      serviceAccountName: {{ $.Release.Name }}-{{ $c.name }}
      containers:
        - name: {{ $c.name }}
          image: "{{ $.Values.image.repository }}:{{ $.Values.image.tag }}"
          ports: [{containerPort: {{ $c.port }}}]
          envFrom: [{configMapRef: {name: {{ $.Release.Name }}-{{ $c.name }}}}]
          resources: {requests: {cpu: 100m, memory: 128Mi}, limits: {memory: 256Mi}}
          readinessProbe: {httpGet: {path: /ready, port: {{ $c.port }}}}
---
apiVersion: v1
kind: Service
metadata:
  name: {{ $.Release.Name }}-{{ $c.name }}
  labels: {{- include "mid.labels" $ctx | nindent 4 }}
spec:
  ports: [{port: 80, targetPort: {{ $c.port }}}]
  selector: {{- include "mid.labels" $ctx | nindent 4 }}
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: {{ $.Release.Name }}-{{ $c.name }}
data: {{- toYaml $c.env | nindent 2 }}
---
apiVersion: v1
kind: ServiceAccount
metadata:
  name: {{ $.Release.Name }}-{{ $c.name }}
---
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata:
  name: {{ $.Release.Name }}-{{ $c.name }}
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: {{ $.Release.Name }}-{{ $c.name }}}
  minReplicas: {{ $c.replicas }}
  maxReplicas: 10
---
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata:
  name: {{ $.Release.Name }}-{{ $c.name }}
spec:
  minAvailable: 1
  selector:
    matchLabels: {{- include "mid.labels" $ctx | nindent 6 }}
{{- end }}`),
		},
	}
	ch.Values = map[string]any{}
	dir := tb.TempDir()
	file, err := chartutil.Save(ch, dir)
	if err != nil {
		tb.Fatal(err)
	}
	data, err := os.ReadFile(file)
	if err != nil {
		tb.Fatal(err)
	}
	c, err := LoadChart(data)
	if err != nil {
		tb.Fatal(err)
	}
	return c
}

// BenchmarkCompareMidSizeChart is the rendering cost of one Application: both versions
// rendered, parsed and compared, with the diff of every changed resource.
func BenchmarkCompareMidSizeChart(b *testing.B) {
	from, to := midSizeChart(b, "1.4.0"), midSizeChart(b, "1.5.0")
	app := &Application{Name: "shop", Namespace: "shop", Helm: Helm{Parameters: []Parameter{{Name: "image.repository", Value: "mirror.example/app"}}}}
	res := NewResult("1.4.0", "1.5.0")
	Compare(context.Background(), app, from, to, Options{}, res)
	if !res.Rendered || len(res.Summary.Changed) != 36 {
		b.Fatalf("the benchmark chart does not render as meant: %d changed, notes %v", len(res.Summary.Changed), res.Notes)
	}
	b.ReportMetric(float64(res.Summary.LinesAdded+res.Summary.LinesRemoved), "difflines/op")
	b.ResetTimer()
	for b.Loop() {
		res := NewResult("1.4.0", "1.5.0")
		Compare(context.Background(), app, from, to, Options{}, res)
	}
}
