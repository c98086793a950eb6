package metrics

import (
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// durationBuckets are the upper bounds, in seconds, of the request duration
// histogram: from a cached read (a few hundred microseconds) to a long poll
// (`wait` up to 60 seconds).
var durationBuckets = []float64{
	0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
	0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60,
}

// unmatchedRoute labels the requests that matched no route (404, 405).
const unmatchedRoute = "unmatched"

// otherMethod labels a method outside http's standard ones, so that a client
// cannot create series by inventing methods.
const otherMethod = "OTHER"

// seriesKey is the label values of one request series.
type seriesKey struct {
	route, method string
	status        int
}

// requestSeries are the resolved children of one series: its request
// counter and its route's and method's duration histogram.
type requestSeries struct {
	requests prometheus.Counter
	duration prometheus.Observer
}

// ObserveRequest counts one answered request and its duration. route is a
// route template ("" when none matched, labelled "unmatched"); method is
// normalized to the standard methods or "OTHER". It implements
// httpapi.RequestObserver: once a series exists it takes no lock and
// allocates nothing.
func (m *Metrics) ObserveRequest(route, method string, status int, took time.Duration) {
	s := m.seriesFor(seriesKey{route: routeLabel(route), method: methodLabel(method), status: status})
	s.requests.Inc()
	s.duration.Observe(took.Seconds())
}

// seriesFor returns the children of k, creating them on first use. Readers
// load the current map without a lock; a new series copies the map under
// seriesMu and publishes the copy. The series are few (routes × methods ×
// statuses), so the copies stop early in a process's life.
func (m *Metrics) seriesFor(k seriesKey) *requestSeries {
	if s, ok := (*m.series.Load())[k]; ok {
		return s
	}
	m.seriesMu.Lock()
	defer m.seriesMu.Unlock()
	current := *m.series.Load()
	if s, ok := current[k]; ok {
		return s
	}
	s := &requestSeries{
		requests: m.requests.WithLabelValues(k.route, k.method, strconv.Itoa(k.status)),
		duration: m.durations.WithLabelValues(k.route, k.method),
	}
	next := make(map[seriesKey]*requestSeries, len(current)+1)
	for key, v := range current {
		next[key] = v
	}
	next[k] = s
	m.series.Store(&next)
	return s
}

// routeLabel is the route label of a route template.
func routeLabel(route string) string {
	if route == "" {
		return unmatchedRoute
	}
	return route
}

// methodLabel returns method when it is one of http's standard methods, else
// otherMethod.
func methodLabel(method string) string {
	switch method {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch,
		http.MethodDelete, http.MethodOptions, http.MethodConnect, http.MethodTrace:
		return method
	}
	return otherMethod
}
