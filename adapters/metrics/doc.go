// Package metrics is ConfigMat's Prometheus adapter: it owns the registry and
// every collector, and serves them in the text exposition format
// (docs/metrics.md lists each metric).
//
// Most metrics are read at scrape time from counters the components keep
// themselves (the read cache's Stats, the audit log's Appended, the pool's
// sql.DBStats, the change feed's state), handed over as functions in
// Sources, so the core knows nothing of Prometheus. What only the edges see
// is counted here: every answered request, through the HTTP adapter's
// RequestObserver (ObserveRequest), and every rate-limit denial, through a
// decorator of the rate limiter (CountDenials).
//
// No label holds a tenant, user, API key, slug, e-mail address or value:
// requests are labelled by route template, normalized method and status
// only, denials by rate class.
package metrics
