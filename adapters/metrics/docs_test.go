package metrics

import (
	"database/sql"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/configmat/configmat/core/cache"
)

// docsDir is the repository's docs folder.
var docsDir = filepath.Join("..", "..", "docs")

// documentedMetric matches a row of docs/metrics.md's tables: the metric's
// name and type.
var documentedMetric = regexp.MustCompile("(?m)^\\| `((?:configmat|go|process)_[a-z_]+)` \\| (counter|gauge|histogram) \\|")

// documented returns the metrics docs/metrics.md lists, with their types.
func documented(t *testing.T) map[string]string {
	t.Helper()
	text, err := os.ReadFile(filepath.Join(docsDir, "metrics.md"))
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, m := range documentedMetric.FindAllStringSubmatch(string(text), -1) {
		if _, dup := out[m[1]]; dup {
			t.Errorf("docs/metrics.md lists %s twice", m[1])
		}
		out[m[1]] = m[2]
	}
	return out
}

// fullyWired returns metrics with every source set and every request series
// of the test created.
func fullyWired() *Metrics {
	m := New(Sources{
		Version:        "test",
		Cache:          func() cache.Stats { return cache.Stats{} },
		Pool:           func() sql.DBStats { return sql.DBStats{} },
		FeedLive:       func() bool { return true },
		FeedReconnects: func() uint64 { return 0 },
		AuditAppends:   func() uint64 { return 0 },
		WatchStreams:   func() int { return 0 },
		LongPolls:      func() int { return 0 },
	})
	m.ObserveRequest("/health", "GET", 200, 0)
	return m
}

// TestDocsListEveryMetric: docs/metrics.md lists exactly ConfigMat's own
// metrics, with their types, and only Go and process metrics that exist.
func TestDocsListEveryMetric(t *testing.T) {
	docs := documented(t)
	exposed := gather(t, fullyWired())
	for name, family := range exposed {
		if !strings.HasPrefix(name, namespace+"_") {
			continue
		}
		typ, ok := docs[name]
		if !ok {
			t.Errorf("%s is exposed but not in docs/metrics.md", name)
			continue
		}
		if want := strings.ToLower(family.GetType().String()); typ != want {
			t.Errorf("docs/metrics.md says %s is a %s; it is a %s", name, typ, want)
		}
	}
	for name := range docs {
		if exposed[name] == nil {
			t.Errorf("docs/metrics.md lists %s, which is not exposed", name)
		}
	}
	if len(docs) < 16 {
		t.Fatalf("docs/metrics.md lists %d metrics: the table was not read", len(docs))
	}
}

// dashboardMetric matches a metric name in a PromQL expression.
var dashboardMetric = regexp.MustCompile(`\b(?:configmat|go|process)_[a-z_]+\b`)

// TestDashboardUsesTheDocumentedMetrics: docs/grafana-dashboard.json is
// valid JSON whose panels query only documented metrics (a histogram by its
// _bucket, _sum or _count series), and every documented metric is on it.
func TestDashboardUsesTheDocumentedMetrics(t *testing.T) {
	docs := documented(t)
	text, err := os.ReadFile(filepath.Join(docsDir, "grafana-dashboard.json"))
	if err != nil {
		t.Fatal(err)
	}
	var dash struct {
		Title  string `json:"title"`
		Panels []struct {
			Title   string `json:"title"`
			Type    string `json:"type"`
			Targets []struct {
				Expr string `json:"expr"`
			} `json:"targets"`
		} `json:"panels"`
	}
	if err := json.Unmarshal(text, &dash); err != nil {
		t.Fatalf("docs/grafana-dashboard.json: %v", err)
	}
	used := map[string]bool{}
	for _, p := range dash.Panels {
		if p.Type == "row" {
			continue
		}
		if len(p.Targets) == 0 {
			t.Errorf("panel %q has no query", p.Title)
		}
		for _, target := range p.Targets {
			names := dashboardMetric.FindAllString(target.Expr, -1)
			if len(names) == 0 {
				t.Errorf("panel %q queries no metric: %s", p.Title, target.Expr)
			}
			for _, name := range names {
				name = histogramOf(name, docs)
				if _, ok := docs[name]; !ok {
					t.Errorf("panel %q queries %s, which docs/metrics.md does not list", p.Title, name)
				}
				used[name] = true
			}
		}
	}
	var unused []string
	for name := range docs {
		if !used[name] {
			unused = append(unused, name)
		}
	}
	slices.Sort(unused)
	if len(unused) > 0 {
		t.Errorf("the dashboard does not use %v", unused)
	}
}

// histogramOf maps a histogram's series name to the histogram's, when docs
// lists it as one.
func histogramOf(name string, docs map[string]string) string {
	for _, suffix := range []string{"_bucket", "_sum", "_count"} {
		if base, ok := strings.CutSuffix(name, suffix); ok && docs[base] == "histogram" {
			return base
		}
	}
	return name
}
