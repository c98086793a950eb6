package e2e

import (
	"encoding/json"
	"strings"
	"sync"
	"testing"
)

// recorder remembers, for one server, every secret the run handed it
// (secret values, tokens, API keys, passwords, keys) and every request sent,
// to check the server's logs once it has stopped.
type recorder struct {
	mu        sync.Mutex
	secrets   []namedSecret
	exchanges []exchange
	// reported holds the contract violations already reported, to report
	// each (operation, status, problem) once.
	reported map[string]bool
}

// namedSecret is a secret and what it is, so that a leak is reported without
// printing the secret itself.
type namedSecret struct {
	what, value string
}

// exchange is one request the server answered.
type exchange struct {
	requestID string
	label     string
	// tenantID is the tenant the request acted in, which its access log line
	// must name; empty when the request was not tenant-scoped or was refused
	// before a tenant was known.
	tenantID string
}

func newRecorder() *recorder { return &recorder{reported: map[string]bool{}} }

// secret records a value that must never reach a log. Credentials are also
// recorded without their cmt_/cmk_ prefix, so that a log that strips the
// prefix is caught too.
func (r *recorder) secret(what, value string) {
	if value == "" {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.secrets = append(r.secrets, namedSecret{what, value})
	for _, prefix := range []string{"cmt_", "cmk_"} {
		if body, ok := strings.CutPrefix(value, prefix); ok {
			r.secrets = append(r.secrets, namedSecret{what + " without its prefix", body})
		}
	}
}

// exchange records a request the server answered.
func (r *recorder) exchange(e exchange) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.exchanges = append(r.exchanges, e)
}

// firstReport reports whether key is reported for the first time.
func (r *recorder) firstReport(key string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.reported[key] {
		return false
	}
	r.reported[key] = true
	return true
}

// checkNoSecrets fails t when text contains one of the recorded secrets.
func (r *recorder) checkNoSecrets(t *testing.T, source, text string) {
	t.Helper()
	r.mu.Lock()
	secrets := append([]namedSecret(nil), r.secrets...)
	r.mu.Unlock()
	for _, s := range secrets {
		if strings.Contains(text, s.value) {
			t.Errorf("%s contains a secret: the %s", source, s.what)
		}
	}
}

// requestLogMessages are the messages of log lines written about one
// request, which must carry its request_id.
var requestLogMessages = map[string]bool{"request": true, "operation": true, "request failed": true}

// checkLogs checks a server's whole stderr: every line is a JSON object,
// every line about a request carries request_id, every recorded request has
// exactly one access log line ("request") whose tenant_id is the tenant it
// acted in, and no recorded secret appears anywhere.
func (r *recorder) checkLogs(t *testing.T, source, logs string) {
	t.Helper()
	r.checkNoSecrets(t, source+" stderr", logs)
	access := map[string][]map[string]any{}
	for i, line := range strings.Split(strings.TrimSpace(logs), "\n") {
		var entry map[string]any
		if err := json.Unmarshal([]byte(line), &entry); err != nil {
			t.Errorf("%s: log line %d is not a JSON object (LOG_FORMAT=json): %.200q", source, i+1, line)
			continue
		}
		msg, _ := entry["msg"].(string)
		if !requestLogMessages[msg] {
			continue
		}
		id, _ := entry["request_id"].(string)
		if id == "" {
			t.Errorf("%s: log line %d about a request has no request_id: %.300s", source, i+1, line)
			continue
		}
		if msg == "request" {
			access[id] = append(access[id], entry)
		}
	}
	r.mu.Lock()
	exchanges := append([]exchange(nil), r.exchanges...)
	r.mu.Unlock()
	for _, e := range exchanges {
		lines := access[e.requestID]
		if len(lines) != 1 {
			t.Errorf("%s: %s (request %s) has %d access log lines, want 1", source, e.label, e.requestID, len(lines))
			continue
		}
		if e.tenantID == "" {
			continue
		}
		if got, _ := lines[0]["tenant_id"].(string); got != e.tenantID {
			t.Errorf("%s: the access log line of %s (request %s) has tenant_id %q, want %q",
				source, e.label, e.requestID, got, e.tenantID)
		}
	}
}
