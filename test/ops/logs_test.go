package ops

import (
	"encoding/json"
	"strings"
	"testing"
)

// linesContaining returns the lines of text that contain substr.
func linesContaining(text, substr string) []string {
	var out []string
	for _, line := range strings.Split(text, "\n") {
		if strings.Contains(line, substr) {
			out = append(out, line)
		}
	}
	return out
}

// logEntry is one JSON log line of the server.
type logEntry struct {
	Level string `json:"level"`
	Msg   string `json:"msg"`
}

// logEntries parses the server's JSON log lines; other lines are returned
// apart (with LOG_FORMAT=json there should be none).
func logEntries(logs string) (entries []logEntry, other []string) {
	for _, line := range strings.Split(strings.TrimSpace(logs), "\n") {
		if line == "" {
			continue
		}
		var e logEntry
		if err := json.Unmarshal([]byte(line), &e); err != nil {
			other = append(other, line)
			continue
		}
		entries = append(entries, e)
	}
	return entries, other
}

// requireNoPanic fails t when the logs show a panic, a runtime error or a
// data race.
func requireNoPanic(t *testing.T, logs string) {
	t.Helper()
	if sign := panicSign(logs); sign != "" {
		t.Fatalf("the log shows %q:\n%s", sign, logs)
	}
}

// panicSign returns the first sign of a crash found in logs, or "".
func panicSign(logs string) string {
	lower := strings.ToLower(logs)
	for _, sign := range []string{"panic", "goroutine ", "runtime error", "data race"} {
		if strings.Contains(lower, sign) {
			return sign
		}
	}
	return ""
}
