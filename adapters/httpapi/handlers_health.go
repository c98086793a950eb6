package httpapi

import (
	"context"
	"fmt"
	"net/http"
	"sort"
	"time"

	"github.com/configmat/configmat/api"
)

// defaultHealthTimeout bounds each check of GET /health/detailed.
const defaultHealthTimeout = 5 * time.Second

// requiredHealthChecks are the checks the contract's detailed health names.
var requiredHealthChecks = []string{"database", "cache", "encryption"}

// healthDetailed is the answer of GET /health/detailed.
type healthDetailed struct {
	Status    string                    `json:"status"`
	Checks    map[string]map[string]any `json:"checks"`
	Version   string                    `json:"version"`
	Timestamp string                    `json:"timestamp"`
}

// checkResult is one finished health check.
type checkResult struct {
	name    string
	status  map[string]any
	healthy bool
}

// getHealth is the liveness probe.
func (s *server) getHealth(w http.ResponseWriter, r *http.Request) error {
	return respond(w, http.StatusOK, map[string]string{"status": "ok"})
}

// getHealthDetailed runs every health check concurrently, each bounded by
// the configured timeout, and answers 200 when all are healthy, else 503. A
// missing, slow or panicking check counts as unhealthy.
func (s *server) getHealthDetailed(w http.ResponseWriter, r *http.Request) error {
	names := make([]string, 0, len(s.health))
	for name := range s.health {
		names = append(names, name)
	}
	sort.Strings(names)
	results := make(chan checkResult, len(names))
	for _, name := range names {
		go func() { results <- runCheck(r.Context(), name, s.health[name], s.healthTimeout) }()
	}
	answer := healthDetailed{
		Status:    "healthy",
		Checks:    map[string]map[string]any{},
		Version:   s.version,
		Timestamp: s.now().UTC().Format(time.RFC3339),
	}
	for range names {
		res := <-results
		answer.Checks[res.name] = res.status
		if !res.healthy {
			answer.Status = "degraded"
		}
	}
	for _, name := range requiredHealthChecks {
		if _, ok := answer.Checks[name]; !ok {
			answer.Checks[name] = map[string]any{"status": "not_configured"}
			answer.Status = "degraded"
		}
	}
	status := http.StatusOK
	if answer.Status != "healthy" {
		status = http.StatusServiceUnavailable
	}
	return respond(w, status, answer)
}

// runCheck runs one check with a deadline and turns a timeout or a panic into
// an unhealthy result whose text reveals nothing internal. A check that
// answers only after its deadline has timed out, whatever it says.
func runCheck(ctx context.Context, name string, check HealthCheck, timeout time.Duration) checkResult {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	timedOut := checkResult{name: name, status: map[string]any{"status": "timeout"}}
	done := make(chan checkResult, 1)
	go func() {
		defer func() {
			if v := recover(); v != nil {
				LoggerFromContext(ctx).WithField("check", name).WithField("error", fmt.Sprint(v)).Error("health check panicked")
				done <- checkResult{name: name, status: map[string]any{"status": "unhealthy"}}
			}
		}()
		status, healthy := check(ctx)
		if ctx.Err() != nil {
			done <- timedOut
			return
		}
		done <- checkResult{name: name, status: status, healthy: healthy}
	}()
	res := timedOut
	select {
	case res = <-done:
	case <-ctx.Done():
	}
	status := make(map[string]any, len(res.status)+1)
	for k, v := range res.status {
		status[k] = v
	}
	if _, ok := status["status"]; !ok {
		status["status"] = "unhealthy"
		if res.healthy {
			status["status"] = "healthy"
		}
	}
	res.status = status
	return res
}

// getOpenAPI serves the OpenAPI document of the API.
func (s *server) getOpenAPI(w http.ResponseWriter, r *http.Request) error {
	doc := s.openapi
	if len(doc) == 0 {
		doc = api.OpenAPIJSON
	}
	writeBody(w, http.StatusOK, doc)
	return nil
}
