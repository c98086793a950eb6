package logging

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"net/url"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sirupsen/logrus"
)

// jsonSamples are values whose JSON encodings the fast path must get right.
var jsonSamples = []any{
	"", "plain", `quote " backslash \ slash /`, "<script>&amp;</script>", "tab\tnew\nline\rcr\bbs\fff",
	"\x00\x01\x1f\x7f", "é ü 日本 🚀", "\u2028\u2029", "bad \xff\xfe utf-8 \xc3", "\xe2\x80", "\xed\xa0\x80 surrogate",
	true, false, nil,
	0, -1, 255, 256, 499, math.MaxInt64, math.MinInt64, int8(-8), int16(300), int32(-70000), int64(1 << 40),
	uint(7), uint8(200), uint16(65535), uint32(1 << 31), uint64(math.MaxUint64),
	0.0, -0.0, 0.5, 1.25, 0.001, 0.000123, 1e-6, 9.99e-7, 1e-7, 123456789.125, 1e20, 1e21, 1.5e300, -2.5e-10, 5e-324,
	float32(0.1), float32(1e-7), float32(3.4e38), float32(-1.5),
	errors.New("dial tcp: <refused> & \"gone\""),
}

// runtimeFrame is a caller the fast path leaves to logrus.
var runtimeFrame = runtime.Frame{Function: "github.com/configmat/configmat/x.f", File: "/src/x/f.go", Line: 7}

// sharedFormatter formats every entry of the tests in turn, so that its
// cached line shapes are hit, missed and replaced.
var sharedFormatter = newJSONFormatter()

// formatBoth formats entry with a new fast formatter, twice with the shared
// one (the second time from its cached shape), and with the fallback; it
// fails unless the fast ones agree, and returns the fast and logrus lines.
func formatBoth(t *testing.T, entry *logrus.Entry) (fast, want string) {
	t.Helper()
	var lines []string
	for _, f := range []*jsonFormatter{newJSONFormatter(), sharedFormatter, sharedFormatter} {
		got, err := f.Format(entry)
		if err != nil {
			t.Fatalf("fast Format: %v", err)
		}
		lines = append(lines, string(got))
	}
	if lines[0] != lines[1] || lines[1] != lines[2] {
		t.Fatalf("the fast formatter's lines differ: %q", lines)
	}
	ref, err := sharedFormatter.fallback.Format(entry)
	if err != nil {
		t.Fatalf("logrus Format: %v", err)
	}
	return lines[0], string(ref)
}

// TestFormatCleanIsNothingToRedact: formatClean formats an entry exactly
// when nothingToRedact says redaction would change nothing in it, and then
// writes what Format writes.
func TestFormatCleanIsNothingToRedact(t *testing.T) {
	f := newJSONFormatter()
	entries := []*logrus.Entry{
		newEntry(logrus.InfoLevel, "request", logrus.Fields{"request_id": "r-1", "status": 200, "duration_ms": 0.5}),
		newEntry(logrus.InfoLevel, "request", logrus.Fields{"request_id": "cmk_abc", "status": 200, "duration_ms": 0.5}),
		newEntry(logrus.InfoLevel, "request", logrus.Fields{"request_id": "r-2", "status": 304, "duration_ms": 1.5}),
		newEntry(logrus.InfoLevel, "request", logrus.Fields{"password": "x", "status": 200, "duration_ms": 0.5}),
		newEntry(logrus.InfoLevel, "Bearer abc", logrus.Fields{"request_id": "r-3", "status": 200, "duration_ms": 0.5}),
		newEntry(logrus.InfoLevel, "e", logrus.Fields{"error": errors.New("plain"), "status": 200, "duration_ms": 0.5}),
		newEntry(logrus.InfoLevel, "small", logrus.Fields{"n": int8(3), "status": 200, "duration_ms": 0.5}),
		newEntry(logrus.InfoLevel, "url", logrus.Fields{"to": "postgres://u:p@h/db", "status": 200, "duration_ms": 0.5}),
		newEntry(logrus.InfoLevel, "db_password", logrus.Fields{"db_password": "x"}),
		newEntry(logrus.InfoLevel, "request", logrus.Fields{"request_id": "r-4", "status": 200, "duration_ms": 0.5}),
	}
	for _, samples := range jsonSamples {
		entries = append(entries, newEntry(logrus.InfoLevel, "sample", logrus.Fields{"value": samples}))
	}
	for _, entry := range entries {
		for range 2 {
			out, ok := f.formatClean(entry)
			if want := nothingToRedact(entry); ok != want {
				t.Errorf("entry %q %v: formatClean %v, nothingToRedact %v", entry.Message, entry.Data, ok, want)
			}
			if !ok {
				continue
			}
			if want, _ := newJSONFormatter().Format(entry); string(out) != string(want) {
				t.Errorf("entry %q %v:\n formatClean %s\n Format      %s", entry.Message, entry.Data, out, want)
			}
		}
	}
}

// newEntry returns an entry at level with fields and msg, at a fixed time.
func newEntry(level logrus.Level, msg string, fields logrus.Fields) *logrus.Entry {
	e := logrus.NewEntry(logrus.New()).WithFields(fields)
	e.Time = time.Date(2026, 12, 1, 15, 4, 5, 123456789, time.FixedZone("x", 3600))
	e.Level = level
	e.Message = msg
	return e
}

// TestJSONFormatterMatchesLogrus: every sample value, as a field and as the
// message, every level, and entries the fast path hands to logrus (a clash
// with an entry key, a dropped func field, a caller, a struct, NaN) come out
// byte for byte as logrus.JSONFormatter writes them.
func TestJSONFormatterMatchesLogrus(t *testing.T) {
	var cases []*logrus.Entry
	for i, v := range jsonSamples {
		cases = append(cases, newEntry(logrus.InfoLevel, "request", logrus.Fields{"value": v, "n": i}))
		if s, ok := v.(string); ok {
			cases = append(cases, newEntry(logrus.WarnLevel, s, logrus.Fields{s: "as a key"}))
		}
	}
	for _, level := range logrus.AllLevels {
		cases = append(cases, newEntry(level, "level", nil))
	}
	u, _ := url.Parse("https://example.com/x")
	cases = append(cases,
		newEntry(logrus.InfoLevel, "access", logrus.Fields{
			"request_id": "3KQ7GZ2M5XW4HJ9A-1b", "method": "GET", "route": "/api/v1/assets/{slug}/values",
			"status": 200, "duration_ms": 0.042, "client_ip": "127.0.0.1", "tenant_id": "t-1", "api_key_id": "k-1",
		}),
		newEntry(logrus.InfoLevel, "clash", logrus.Fields{"time": "t", "msg": "m", "level": "l", "logrus_error": "e"}),
		newEntry(logrus.InfoLevel, "struct", logrus.Fields{"url": u, "list": []string{"a"}, "map": map[string]int{"b": 1}}),
		newEntry(logrus.InfoLevel, "float", logrus.Fields{"ok": 1.0}),
		newEntry(logrus.InfoLevel, "many", manyFields(maxFastFields+1)),
		newEntry(logrus.InfoLevel, "max", manyFields(maxFastFields)),
		newEntry(logrus.InfoLevel, "dropped", logrus.Fields{"f": func() {}, "kept": "yes"}),
	)
	withCaller := newEntry(logrus.InfoLevel, "caller", logrus.Fields{"a": "b"})
	withCaller.Caller = &runtimeFrame
	cases = append(cases, withCaller)
	for _, entry := range cases {
		fast, want := formatBoth(t, entry)
		if fast != want {
			t.Errorf("entry %q %v:\n fast   %s\n logrus %s", entry.Message, entry.Data, fast, want)
		}
	}
}

// TestJSONFormatterRandomStrings compares both formatters on random strings
// of bytes that need escaping, valid and invalid UTF-8.
func TestJSONFormatterRandomStrings(t *testing.T) {
	rng := rand.New(rand.NewPCG(10, 9))
	alphabet := []string{"a", "Z", "0", " ", "\"", "\\", "<", ">", "&", "\n", "\x00", "\x1f", "\x7f", "é", "\u2028", "\xff", "\xe2", "\x80", "🚀", "日"}
	for range 2000 {
		var sb strings.Builder
		for range rng.IntN(24) {
			sb.WriteString(alphabet[rng.IntN(len(alphabet))])
		}
		s := sb.String()
		fast, want := formatBoth(t, newEntry(logrus.ErrorLevel, s, logrus.Fields{"s": s, s + "k": rng.Float64() * math.Pow(10, float64(rng.IntN(60)-30))}))
		if fast != want {
			t.Fatalf("string %q:\n fast   %s\n logrus %s", s, fast, want)
		}
	}
}

// TestJSONFormatterFallsBack: NaN is an error for both.
func TestJSONFormatterFallsBack(t *testing.T) {
	f := newJSONFormatter()
	if _, err := f.Format(newEntry(logrus.InfoLevel, "nan", logrus.Fields{"x": math.NaN()})); err == nil {
		t.Errorf("a NaN field formatted without error")
	}
}

// manyFields returns n string fields.
func manyFields(n int) logrus.Fields {
	fields := logrus.Fields{}
	for i := range n {
		fields[fmt.Sprintf("field%02d", i)] = i
	}
	return fields
}

// BenchmarkJSONFormatter formats an access log line with the fast formatter
// and with logrus's.
func BenchmarkJSONFormatter(b *testing.B) {
	entry := newEntry(logrus.InfoLevel, "request", logrus.Fields{
		"request_id": "3KQ7GZ2M5XW4HJ9A-1b", "method": "GET", "route": "/api/v1/assets/{slug}/values",
		"status": 200, "duration_ms": 0.042, "client_ip": "127.0.0.1", "tenant_id": "t-1", "api_key_id": "k-1",
	})
	f := newJSONFormatter()
	for _, bc := range []struct {
		name string
		f    logrus.Formatter
	}{{"fast", f}, {"logrus", f.fallback}} {
		b.Run(bc.name, func(b *testing.B) {
			var buf bytes.Buffer
			entry.Buffer = &buf
			b.ReportAllocs()
			for b.Loop() {
				buf.Reset()
				if _, err := bc.f.Format(entry); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkAccessLine writes an access log line through the production
// logger to io.Discard, as the API does once per request.
func BenchmarkAccessLine(b *testing.B) {
	logger, err := New(Config{Out: io.Discard})
	if err != nil {
		b.Fatal(err)
	}
	fields := logrus.Fields{
		"request_id": "3KQ7GZ2M5XW4HJ9A-1b", "method": "GET", "route": "/api/v1/assets/{slug}/values",
		"status": 200, "duration_ms": 0.042, "client_ip": "127.0.0.1",
		"tenant_id": "0b0c8f3e-5d7a-4a51-9a55-2a7c1c9f3e11", "api_key_id": "5f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b",
	}
	b.ReportAllocs()
	for b.Loop() {
		e := &logrus.Entry{Logger: logger, Data: fields}
		e.Info("request")
	}
}

// TestJSONFormatterConcurrent: goroutines formatting lines of different
// shapes through one formatter at once (run with -race), so that its cached
// shape is replaced under them, each get logrus's line.
func TestJSONFormatterConcurrent(t *testing.T) {
	f := newJSONFormatter()
	entries := []*logrus.Entry{
		newEntry(logrus.InfoLevel, "request", logrus.Fields{"request_id": "r-1", "status": 200, "duration_ms": 0.5}),
		newEntry(logrus.InfoLevel, "request", logrus.Fields{"request_id": "r-2", "status": 304}),
		newEntry(logrus.ErrorLevel, "failed", logrus.Fields{"error": errors.New("boom"), "code": "INTERNAL_ERROR"}),
	}
	want := make([]string, len(entries))
	for i, e := range entries {
		ref, err := f.fallback.Format(e)
		if err != nil {
			t.Fatal(err)
		}
		want[i] = string(ref)
	}
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Go(func() {
			for i := range 500 {
				k := (i + w) % len(entries)
				e := *entries[k]
				e.Buffer = &bytes.Buffer{}
				got, err := f.Format(&e)
				if err != nil || string(got) != want[k] {
					t.Errorf("line %q, error %v; want %q", got, err, want[k])
					return
				}
			}
		})
	}
	wg.Wait()
}

// TestAppendJSONFloatThousandths: float64(k)/1000 (a duration in
// milliseconds with microsecond precision), for every k up to 10^6 (1 s),
// with a growing step up to 2,000 s and at random up to 4 x maxThousandths,
// negated, and floats next to them, come out as strconv's shortest decimal,
// as encoding/json writes them.
func TestAppendJSONFloatThousandths(t *testing.T) {
	check := func(f float64) {
		want := strconv.FormatFloat(f, 'f', -1, 64)
		if abs := math.Abs(f); abs != 0 && (abs < 1e-6 || abs >= 1e21) {
			return // exponent form, not this path
		}
		if got := string(appendJSONFloat(nil, f, 64)); got != want {
			t.Fatalf("appendJSONFloat(%v) = %s, want %s", f, got, want)
		}
	}
	for k := int64(0); k <= 2_000_000_000/1000*1000; k += 1 + k/1_000_000 {
		check(float64(k) / 1000)
	}
	rng := rand.New(rand.NewPCG(7, 42))
	for range 200_000 {
		k := rng.Int64N(maxThousandths * 1000 * 4)
		f := float64(k) / 1000
		check(f)
		check(-f)
		check(math.Nextafter(f, math.Inf(1)))
		check(f + rng.Float64()/1000)
	}
	for _, f := range []float64{maxThousandths, maxThousandths - 0.001, maxThousandths + 0.001, 0.001, 0.0015, 1e-3 / 3} {
		check(f)
	}
}
