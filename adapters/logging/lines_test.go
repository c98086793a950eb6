package logging

import (
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"math"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sirupsen/logrus"
	"github.com/sirupsen/logrus/hooks/test"
)

// lineTime is the time of the lines of the tests.
var lineTime = time.Date(2026, 12, 1, 15, 4, 5, 123456789, time.FixedZone("x", 3600))

// accessAttrs is an access log line's attributes.
func accessAttrs() []slog.Attr {
	return []slog.Attr{
		slog.String("request_id", "3KQ7GZ2M5XW4HJ9A-1b"), slog.String("method", "GET"),
		slog.String("route", "/api/v1/assets/{slug}/values"), slog.Int("status", 304),
		slog.Float64("duration_ms", 0.042), slog.String("client_ip", "127.0.0.1"),
		slog.String("tenant_id", "0b0c8f3e-5d7a-4a51-9a55-2a7c1c9f3e11"), slog.String("api_key_id", "k-1"),
	}
}

// attrFields returns the logrus fields attrs stand for (see LineWriter).
func attrFields(attrs []slog.Attr) logrus.Fields {
	fields := logrus.Fields{}
	for _, a := range attrs {
		switch a.Value.Kind() {
		case slog.KindString:
			fields[a.Key] = a.Value.String()
		case slog.KindInt64:
			fields[a.Key] = a.Value.Int64()
		case slog.KindUint64:
			fields[a.Key] = a.Value.Uint64()
		case slog.KindFloat64:
			fields[a.Key] = a.Value.Float64()
		case slog.KindBool:
			fields[a.Key] = a.Value.Bool()
		default:
			fields[a.Key] = a.Value.Any()
		}
	}
	return fields
}

// lineBoth writes a line with a LineWriter of a new production logger at
// debug level and the same line as a logrus entry through another; it
// returns whether the LineWriter wrote it, what it wrote and logrus's line.
func lineBoth(t *testing.T, level logrus.Level, msg string, attrs []slog.Attr) (bool, string, string) {
	t.Helper()
	var direct, ref bytes.Buffer
	dl, err := New(Config{Level: "debug", Out: &direct})
	if err != nil {
		t.Fatal(err)
	}
	rl, err := New(Config{Level: "debug", Out: &ref})
	if err != nil {
		t.Fatal(err)
	}
	lw := Lines(dl)
	wrote := lw.WriteLine(level, lineTime, msg, attrs)
	if again := lw.WriteLine(level, lineTime, msg, attrs); again != wrote { // from the cached shape
		t.Fatalf("WriteLine reported %v, then %v", wrote, again)
	}
	if !wrote && direct.Len() > 0 {
		t.Fatalf("WriteLine declined, but wrote %q", direct.String())
	}
	entry := logrus.NewEntry(rl).WithFields(attrFields(attrs))
	entry.Time = lineTime
	entry.Log(level, msg)
	line := direct.String()
	if wrote {
		first, second, _ := strings.Cut(line, "\n")
		if first+"\n" != second {
			t.Fatalf("the two lines differ: %q", line)
		}
		line = second
	}
	return wrote, line, ref.String()
}

// TestLineWriterMatchesLogrus: a line the LineWriter writes is byte for
// byte the logger's line of the same fields, for the access line, every
// sample value, every level and random strings; the lines it must decline
// (redaction, a clash with an entry member, a key twice, a value of another
// kind, a NaN, too many fields) it declines.
func TestLineWriterMatchesLogrus(t *testing.T) {
	type lineCase struct {
		name  string
		level logrus.Level
		msg   string
		attrs []slog.Attr
		write bool
	}
	cases := []lineCase{
		{"access", logrus.InfoLevel, "request", accessAttrs(), true},
		{"access error", logrus.ErrorLevel, "request", append(accessAttrs(), slog.Bool("aborted", true)), true},
		{"no fields", logrus.WarnLevel, "nothing", nil, true},
		{"numbers", logrus.DebugLevel, "n", []slog.Attr{slog.Int64("min", math.MinInt64), slog.Uint64("max", math.MaxUint64),
			slog.Float64("neg0", math.Copysign(0, -1)), slog.Float64("tiny", 5e-324), slog.Float64("big", 1e21), slog.Bool("no", false)}, true},
		{"max fields", logrus.InfoLevel, "max", manyAttrs(maxFastFields), true},
		{"too many fields", logrus.InfoLevel, "many", manyAttrs(maxFastFields + 1), false},
		{"credential value", logrus.InfoLevel, "request", []slog.Attr{slog.String("request_id", "cmk_abcdef")}, false},
		{"credential message", logrus.InfoLevel, "Bearer abc", []slog.Attr{slog.String("a", "b")}, false},
		{"sensitive key", logrus.InfoLevel, "request", []slog.Attr{slog.String("db_password", "x")}, false},
		{"url", logrus.InfoLevel, "request", []slog.Attr{slog.String("to", "postgres://u:p@h/db")}, false},
		{"clash", logrus.InfoLevel, "clash", []slog.Attr{slog.String("msg", "m")}, false},
		{"logrus_error", logrus.InfoLevel, "clash", []slog.Attr{slog.String("logrus_error", "e")}, false},
		{"key twice", logrus.InfoLevel, "twice", []slog.Attr{slog.String("a", "1"), slog.String("a", "2")}, false},
		{"duration", logrus.InfoLevel, "kind", []slog.Attr{slog.Duration("d", time.Second)}, false},
		{"time", logrus.InfoLevel, "kind", []slog.Attr{slog.Time("t", lineTime)}, false},
		{"any", logrus.InfoLevel, "kind", []slog.Attr{slog.Any("list", []string{"a"})}, false},
		{"NaN", logrus.InfoLevel, "nan", []slog.Attr{slog.Float64("x", math.NaN())}, false},
		{"infinity", logrus.InfoLevel, "inf", []slog.Attr{slog.Float64("x", math.Inf(1))}, false},
		{"fatal", logrus.FatalLevel, "fatal", nil, false},
	}
	for _, level := range []logrus.Level{logrus.ErrorLevel, logrus.WarnLevel, logrus.InfoLevel, logrus.DebugLevel} {
		cases = append(cases, lineCase{"level " + level.String(), level, "level", []slog.Attr{slog.Int("n", 1)}, true})
	}
	for _, v := range jsonSamples {
		if s, ok := v.(string); ok {
			cases = append(cases, lineCase{"sample " + s, logrus.InfoLevel, s, []slog.Attr{slog.String("value", s), slog.String(s+"k", "as a key")}, true})
		}
	}
	for _, c := range cases {
		wrote, line, want := lineBoth(t, c.level, c.msg, c.attrs)
		if wrote != c.write {
			t.Errorf("%s: WriteLine reported %v, want %v", c.name, wrote, c.write)
		}
		if wrote && line != want {
			t.Errorf("%s:\n LineWriter %s logrus     %s", c.name, line, want)
		}
	}
}

// TestLineWriterDeclinesAsFormatClean: on random strings, as message, keys
// and values, the LineWriter writes a line exactly when the production
// formatter formats its entry without redaction, and then as logrus does.
func TestLineWriterDeclinesAsFormatClean(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 3))
	alphabet := []string{"a", "r", "Z", "0", "_", ":", "=", "/", "cmk_", "cmt_", "://", "bearer ", "password", "@", " ",
		"\"", "\\", "<", "\n", "\x00", "é", "\u2028", "\xff", "🚀", "key", "-"}
	random := func() string {
		var sb strings.Builder
		for range rng.IntN(8) {
			sb.WriteString(alphabet[rng.IntN(len(alphabet))])
		}
		return sb.String()
	}
	f := newJSONFormatter()
	for range 3000 {
		msg := random()
		attrs := []slog.Attr{slog.String("s"+random(), random()), slog.Float64("f", rng.Float64()*math.Pow(10, float64(rng.IntN(60)-30)))}
		wrote, line, want := lineBoth(t, logrus.InfoLevel, msg, attrs)
		entry := newEntry(logrus.InfoLevel, msg, attrFields(attrs))
		if _, clean := f.formatClean(entry); clean != wrote {
			t.Fatalf("message %q, fields %v: WriteLine %v, formatClean %v", msg, attrs, wrote, clean)
		}
		if wrote && line != want {
			t.Fatalf("message %q, fields %v:\n LineWriter %s logrus     %s", msg, attrs, line, want)
		}
	}
}

// TestLineWriterDeclinesOtherLoggers: a logger that did not come from New
// with the JSON format, or that was given a hook, caller reporting, another
// output or another formatter after Lines, or that drops the level, gets no
// line from a LineWriter.
func TestLineWriterDeclinesOtherLoggers(t *testing.T) {
	production := func(t *testing.T) *logrus.Logger {
		l, err := New(Config{Out: io.Discard})
		if err != nil {
			t.Fatal(err)
		}
		return l
	}
	text := func(t *testing.T) *logrus.Logger {
		l, err := New(Config{Format: "text", Out: io.Discard})
		if err != nil {
			t.Fatal(err)
		}
		return l
	}
	unchanged := func(*logrus.Logger) {}
	cases := []struct {
		name   string
		logger func(t *testing.T) *logrus.Logger
		change func(l *logrus.Logger)
		level  logrus.Level
		write  bool
	}{
		{"production", production, unchanged, logrus.InfoLevel, true},
		{"level disabled", production, unchanged, logrus.DebugLevel, false},
		{"logrus.New", func(*testing.T) *logrus.Logger { return logrus.New() }, unchanged, logrus.InfoLevel, false},
		{"text format", text, unchanged, logrus.InfoLevel, false},
		{"hook", production, func(l *logrus.Logger) { l.AddHook(test.NewLocal(l)) }, logrus.InfoLevel, false},
		{"caller", production, func(l *logrus.Logger) { l.SetReportCaller(true) }, logrus.InfoLevel, false},
		{"output", production, func(l *logrus.Logger) { l.SetOutput(io.Discard) }, logrus.InfoLevel, false},
		{"formatter", production, func(l *logrus.Logger) { l.SetFormatter(&logrus.JSONFormatter{}) }, logrus.InfoLevel, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			l := c.logger(t)
			lw := Lines(l)
			c.change(l)
			if got := lw.WriteLine(c.level, lineTime, "request", accessAttrs()); got != c.write {
				t.Errorf("WriteLine = %v, want %v", got, c.write)
			}
		})
	}
}

// TestLineWriterConcurrent: lines written through a LineWriter and through
// logrus at once (run with -race) reach the output whole, one per line.
func TestLineWriterConcurrent(t *testing.T) {
	var out bytes.Buffer
	logger, err := New(Config{Out: &out})
	if err != nil {
		t.Fatal(err)
	}
	lw := Lines(logger)
	const perWriter = 300
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Go(func() {
			for i := range perWriter {
				attrs := accessAttrs()
				if i%2 == 0 {
					attrs = attrs[:3]
				}
				if w%2 == 0 {
					if !lw.WriteLine(logrus.InfoLevel, time.Time{}, "request", attrs) {
						t.Error("WriteLine declined")
						return
					}
					continue
				}
				logger.WithFields(attrFields(attrs)).Info("request")
			}
		})
	}
	wg.Wait()
	lines := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
	if len(lines) != 4*perWriter {
		t.Fatalf("%d lines, want %d", len(lines), 4*perWriter)
	}
	for _, line := range lines {
		var v map[string]any
		if err := json.Unmarshal([]byte(line), &v); err != nil || v["request_id"] != "3KQ7GZ2M5XW4HJ9A-1b" {
			t.Fatalf("line %q: %v", line, err)
		}
	}
}

// manyAttrs returns n integer attributes.
func manyAttrs(n int) []slog.Attr {
	attrs := make([]slog.Attr, n)
	for i := range attrs {
		attrs[i] = slog.Int("field"+string(rune('a'+i)), i)
	}
	return attrs
}

// BenchmarkLineWriter writes an access log line through a LineWriter of the
// production logger to io.Discard (BenchmarkAccessLine: through logrus).
func BenchmarkLineWriter(b *testing.B) {
	logger, err := New(Config{Out: io.Discard})
	if err != nil {
		b.Fatal(err)
	}
	lw := Lines(logger)
	attrs := accessAttrs()
	b.ReportAllocs()
	for b.Loop() {
		if !lw.WriteLine(logrus.InfoLevel, lineTime, "request", attrs) {
			b.Fatal("declined")
		}
	}
}

// TestLineWriterShapes: one LineWriter writing lines of more shapes than it
// keeps, in turn, writes each as logrus does.
func TestLineWriterShapes(t *testing.T) {
	var direct, ref bytes.Buffer
	dl, err := New(Config{Out: &direct})
	if err != nil {
		t.Fatal(err)
	}
	rl, err := New(Config{Out: &ref})
	if err != nil {
		t.Fatal(err)
	}
	lw := Lines(dl)
	for round := range 3 {
		for n := range maxShapes + 2 {
			attrs := accessAttrs()[:n%8]
			if n >= 8 {
				attrs = append(attrs, slog.Bool("client_gone", true), slog.Int("n", round))
			}
			direct.Reset()
			ref.Reset()
			if !lw.WriteLine(logrus.InfoLevel, lineTime, "request", attrs) {
				t.Fatalf("round %d, shape %d: declined", round, n)
			}
			entry := logrus.NewEntry(rl).WithFields(attrFields(attrs))
			entry.Time = lineTime
			entry.Info("request")
			if direct.String() != ref.String() {
				t.Fatalf("round %d, shape %d:\n LineWriter %s logrus     %s", round, n, direct.String(), ref.String())
			}
		}
	}
}
