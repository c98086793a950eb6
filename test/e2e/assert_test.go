package e2e

import (
	"bytes"
	"encoding/json"
	"reflect"
	"slices"
	"sort"
	"testing"
	"time"

	"github.com/configmat/configmat/core/domain"
)

// wantEqual fails t when got and want differ.
func wantEqual(t *testing.T, what string, got, want any) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		g, _ := json.Marshal(got)
		w, _ := json.Marshal(want)
		t.Errorf("%s:\n got  %s\n want %s", what, g, w)
	}
}

// wantKeys fails t unless obj has exactly the keys of API.md.
func wantKeys(t *testing.T, obj map[string]any, keys ...string) {
	t.Helper()
	got := make([]string, 0, len(obj))
	for k := range obj {
		got = append(got, k)
	}
	sort.Strings(got)
	want := slices.Clone(keys)
	sort.Strings(want)
	if !slices.Equal(got, want) {
		t.Errorf("fields %v, want exactly %v", got, want)
	}
}

// wantJSON fails t unless the body is the JSON document want.
func wantJSON(t *testing.T, r *response, want string) {
	t.Helper()
	var got, exp any
	if err := json.Unmarshal(r.body, &got); err != nil {
		t.Fatalf("%s: body is not JSON: %s", r.label, r.body)
	}
	if err := json.Unmarshal([]byte(want), &exp); err != nil {
		t.Fatalf("bad expectation %s", want)
	}
	if !reflect.DeepEqual(got, exp) {
		t.Errorf("%s: body %s, want %s", r.label, r.body, want)
	}
}

// wantEmpty fails t unless the answer has no body.
func wantEmpty(t *testing.T, r *response) {
	t.Helper()
	if len(r.body) != 0 {
		t.Errorf("%s: %d answered a body: %q", r.label, r.status, r.body)
	}
}

// wantNoRateLimitHeaders fails t when a health check carries rate-limit
// headers: health checks are never rate limited.
func wantNoRateLimitHeaders(t *testing.T, r *response) {
	t.Helper()
	if v := r.header.Get("X-RateLimit-Limit"); v != "" {
		t.Errorf("%s: a health check is rate limited (X-RateLimit-Limit %s)", r.label, v)
	}
}

// wantCredential fails t unless s is a well-formed credential with prefix:
// prefix + 40 base62 characters + a valid 6-character checksum.
func wantCredential(t *testing.T, field, s, prefix string) {
	t.Helper()
	if !domain.WellFormedCredential(prefix, s) {
		t.Errorf("%s %.8s... is not %s + 40 base62 characters + a valid checksum", field, s, prefix)
	}
}

// wantFuture fails t unless ts is later than now.
func wantFuture(t *testing.T, field string, ts time.Time) {
	t.Helper()
	if !ts.After(time.Now()) {
		t.Errorf("%s %s is not in the future", field, ts)
	}
}

// isRFC3339 reports whether s is an RFC 3339 timestamp.
func isRFC3339(s string) bool {
	_, err := time.Parse(time.RFC3339, s)
	return err == nil
}

// sameInstant compares two timestamps at the stores' microsecond precision.
func sameInstant(a, b time.Time) bool {
	return a.Sub(b).Abs() < time.Microsecond
}

// intPtr returns a pointer to n.
func intPtr(n int) *int { return &n }

// jsonString is s encoded as a JSON string.
func jsonString(s string) json.RawMessage {
	b, _ := json.Marshal(s)
	return b
}

// sortedDiff returns p with the lists of its diff sorted.
func sortedDiff(p promoteResult) promoteResult {
	for _, l := range [][]string{p.Diff.Added, p.Diff.Changed, p.Diff.Removed} {
		sort.Strings(l)
	}
	return p
}

// containsAny reports which of the needles body contains.
func containsAny(body []byte, needles ...string) []string {
	var found []string
	for _, n := range needles {
		if n != "" && bytes.Contains(body, []byte(n)) {
			found = append(found, n)
		}
	}
	return found
}
