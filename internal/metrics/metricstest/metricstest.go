// Package metricstest reads a /metrics endpoint the way Prometheus does, for
// tests of the daemon and of code that records into internal/metrics: it
// scrapes an http.Handler in the text exposition format, parses it with
// expfmt's TextParser and looks up single samples by name and labels.
package metricstest

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// Families is a parsed scrape, by metric family name.
type Families map[string]*dto.MetricFamily

// Scrape GETs /metrics from h (asking for the text format) and parses it.
func Scrape(h http.Handler) (Families, error) {
	req := httptest.NewRequest(http.MethodGet, "/metrics", nil)
	req.Header.Set("Accept", "text/plain; version=0.0.4")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != http.StatusOK {
		return nil, fmt.Errorf("metrics: HTTP %d: %s", rec.Code, rec.Body.String())
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(rec.Body)
	if err != nil {
		return nil, fmt.Errorf("metrics: parse: %w", err)
	}
	return Families(fams), nil
}

// Value returns the value of the sample of family name whose labels are
// exactly labels (counter, gauge or untyped; for a histogram, its sample
// count). ok is false when there is no such sample.
func (f Families) Value(name string, labels map[string]string) (v float64, ok bool) {
	fam, found := f[name]
	if !found {
		return 0, false
	}
	for _, m := range fam.GetMetric() {
		if !sameLabels(m.GetLabel(), labels) {
			continue
		}
		switch {
		case m.Counter != nil:
			return m.GetCounter().GetValue(), true
		case m.Gauge != nil:
			return m.GetGauge().GetValue(), true
		case m.Histogram != nil:
			return float64(m.GetHistogram().GetSampleCount()), true
		case m.Untyped != nil:
			return m.GetUntyped().GetValue(), true
		}
	}
	return 0, false
}

// Samples lists family name's samples as "k=v,k=v value" lines, sorted, for
// readable test failures.
func (f Families) Samples(name string) []string {
	fam, found := f[name]
	if !found {
		return nil
	}
	var out []string
	for _, m := range fam.GetMetric() {
		var kv []string
		for _, l := range m.GetLabel() {
			kv = append(kv, l.GetName()+"="+l.GetValue())
		}
		var v float64
		switch {
		case m.Counter != nil:
			v = m.GetCounter().GetValue()
		case m.Gauge != nil:
			v = m.GetGauge().GetValue()
		case m.Histogram != nil:
			v = float64(m.GetHistogram().GetSampleCount())
		}
		out = append(out, fmt.Sprintf("%s %g", strings.Join(kv, ","), v))
	}
	sort.Strings(out)
	return out
}

func sameLabels(got []*dto.LabelPair, want map[string]string) bool {
	if len(got) != len(want) {
		return false
	}
	for _, l := range got {
		if w, ok := want[l.GetName()]; !ok || w != l.GetValue() {
			return false
		}
	}
	return true
}
