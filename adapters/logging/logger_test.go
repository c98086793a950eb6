package logging

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/sirupsen/logrus"

	"github.com/configmat/configmat/core/domain"
)

func TestNewLevel(t *testing.T) {
	tests := []struct {
		in      string
		want    logrus.Level
		wantErr bool
	}{
		{in: "", want: logrus.InfoLevel},
		{in: "debug", want: logrus.DebugLevel},
		{in: "info", want: logrus.InfoLevel},
		{in: "warn", want: logrus.WarnLevel},
		{in: "error", want: logrus.ErrorLevel},
		{in: " WARN ", want: logrus.WarnLevel},
		{in: "warning", wantErr: true},
		{in: "trace", wantErr: true},
		{in: "fatal", wantErr: true},
		{in: "verbose", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			logger, err := New(Config{Level: tt.in, Out: &bytes.Buffer{}})
			if tt.wantErr {
				if err == nil {
					t.Fatalf("New(Level %q) succeeded, want an error", tt.in)
				}
				if !domain.IsKind(err, domain.KindInvalid) || !strings.Contains(err.Error(), "LOG_LEVEL") {
					t.Errorf("error %v: want a %s error naming LOG_LEVEL", err, domain.KindInvalid)
				}
				return
			}
			if err != nil {
				t.Fatalf("New(Level %q): %v", tt.in, err)
			}
			if logger.GetLevel() != tt.want {
				t.Errorf("level = %s, want %s", logger.GetLevel(), tt.want)
			}
		})
	}
}

func TestNewFormat(t *testing.T) {
	tests := []struct {
		in      string
		check   func(t *testing.T, line string)
		wantErr bool
	}{
		{in: "", check: isJSON},
		{in: "json", check: isJSON},
		{in: "JSON", check: isJSON},
		{in: "text", check: isText},
		{in: "logfmt", wantErr: true},
		{in: "xml", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			var out bytes.Buffer
			logger, err := New(Config{Format: tt.in, Out: &out})
			if tt.wantErr {
				if err == nil {
					t.Fatalf("New(Format %q) succeeded, want an error", tt.in)
				}
				if !domain.IsKind(err, domain.KindInvalid) || !strings.Contains(err.Error(), "LOG_FORMAT") {
					t.Errorf("error %v: want a %s error naming LOG_FORMAT", err, domain.KindInvalid)
				}
				return
			}
			if err != nil {
				t.Fatalf("New(Format %q): %v", tt.in, err)
			}
			logger.WithField("asset", "payments").Info("hello")
			tt.check(t, out.String())
		})
	}
}

func isJSON(t *testing.T, line string) {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(line), &m); err != nil {
		t.Fatalf("line %q is not JSON: %v", line, err)
	}
}

func isText(t *testing.T, line string) {
	t.Helper()
	for _, want := range []string{"level=info", "msg=hello", "asset=payments", "time="} {
		if !strings.Contains(line, want) {
			t.Errorf("text line %q lacks %q", line, want)
		}
	}
	if json.Valid([]byte(line)) {
		t.Errorf("text line %q is JSON", line)
	}
}

func TestJSONShape(t *testing.T) {
	var out bytes.Buffer
	logger, err := New(Config{Level: "debug", Out: &out})
	if err != nil {
		t.Fatal(err)
	}
	logger.WithFields(logrus.Fields{"request_id": "r-1", "status": 201}).Warn("created")

	var line map[string]any
	if err := json.Unmarshal(out.Bytes(), &line); err != nil {
		t.Fatalf("output %q is not one JSON object: %v", out.String(), err)
	}
	want := map[string]any{"level": "warning", "msg": "created", "request_id": "r-1", "status": float64(201)}
	for k, v := range want {
		if line[k] != v {
			t.Errorf("%s = %#v, want %#v", k, line[k], v)
		}
	}
	ts, ok := line["time"].(string)
	if !ok {
		t.Fatalf("time = %#v, want a string", line["time"])
	}
	if _, err := time.Parse(time.RFC3339Nano, ts); err != nil {
		t.Errorf("time %q is not RFC 3339: %v", ts, err)
	}
	if len(line) != len(want)+1 {
		t.Errorf("line has keys %v, want exactly time and %v", line, want)
	}
}

func TestLevelFilters(t *testing.T) {
	var out bytes.Buffer
	logger, err := New(Config{Level: "warn", Out: &out})
	if err != nil {
		t.Fatal(err)
	}
	logger.Debug("debug line")
	logger.Info("info line")
	logger.Warn("warn line")
	logger.Error("error line")
	got := out.String()
	for _, line := range []string{"debug line", "info line"} {
		if strings.Contains(got, line) {
			t.Errorf("level warn let %q through", line)
		}
	}
	for _, line := range []string{"warn line", "error line"} {
		if !strings.Contains(got, line) {
			t.Errorf("level warn dropped %q", line)
		}
	}
}

func TestLoggerRedacts(t *testing.T) {
	const apiKey = "cmk_AbCdEfGhIjKlMnOpQrStUvWxYz0123456789abXyZ123"
	for _, format := range []string{"json", "text"} {
		t.Run(format, func(t *testing.T) {
			var out bytes.Buffer
			logger, err := New(Config{Format: format, Out: &out})
			if err != nil {
				t.Fatal(err)
			}
			entry := logger.WithFields(logrus.Fields{
				"Authorization": "Bearer cmt_secretsecret",
				"password":      "hunter2",
				"dsn":           "postgres://app:pgpass@db/configmat",
				"error":         errors.New("redis://:redispass@cache refused"),
				"tenant":        "acme",
			})
			entry.Errorf("request with key %s failed", apiKey)

			got := out.String()
			for _, secret := range []string{apiKey[4:], "cmt_secretsecret", "secretsecret", "hunter2", "pgpass", "redispass"} {
				if strings.Contains(got, secret) {
					t.Errorf("output leaks %q: %s", secret, got)
				}
			}
			for _, kept := range []string{"cmk_[REDACTED]", "acme", "postgres://app:[REDACTED]@db/configmat", "redis://:[REDACTED]@cache"} {
				if !strings.Contains(got, kept) {
					t.Errorf("output lacks %q: %s", kept, got)
				}
			}
			if entry.Data["password"] != "hunter2" {
				t.Errorf("the caller's entry was modified: password = %#v", entry.Data["password"])
			}
		})
	}
}

func TestNewDefaultsToStandardError(t *testing.T) {
	logger, err := New(Config{})
	if err != nil {
		t.Fatal(err)
	}
	if out, ok := logger.Out.(*syncWriter); !ok || out.w != os.Stderr {
		t.Errorf("Out = %v, want os.Stderr behind a syncWriter", logger.Out)
	}
	if logger.GetLevel() != logrus.InfoLevel {
		t.Errorf("level = %s, want info", logger.GetLevel())
	}
	if _, ok := logger.Formatter.(RedactingFormatter); !ok {
		t.Errorf("formatter = %T, want RedactingFormatter", logger.Formatter)
	}
}

func TestRedactingFormatterWithoutInner(t *testing.T) {
	entry := logrus.NewEntry(logrus.New())
	if b, err := (RedactingFormatter{}).Format(entry); err == nil || !domain.IsKind(err, domain.KindInternal) {
		t.Errorf("Format = %q, %v; want an internal error", b, err)
	}
}
