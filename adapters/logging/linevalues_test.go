package logging

import (
	"log/slog"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/sirupsen/logrus"

	"github.com/configmat/configmat/core/jsontext"
)

// TestScanStringMatchesTheFullChecks: scanString answers what
// mayHoldCredential answers, and a string it calls plain is one
// jsontext.AppendString writes unchanged, on hand-picked and random strings
// and on every single byte.
func TestScanStringMatchesTheFullChecks(t *testing.T) {
	inputs := []string{"", "r", "R", "_", ":", "=", "cmk_", "cm_", "mk_", "xcmt_y", "CMK_", "://", ":/", ":", "x:/", "bearer", "BEARER",
		"bEaReR", "bea", "earer", "xbearerx", "password=", "=PASSWORD", "password", "pass word=", "pa\u017fsword=", "\u212a", "bearer\u212a",
		"3H4MU4IYZD7U7YSQ-1r", "44444444-4444-4444-8444-444444444444", "/api/v1/assets/{slug}/values", "127.0.0.1", "GET",
		"\"", "\\", "<", ">", "&", "\x00", "\x1f", "\x7f", "é", "\xff", "\u2028", "password\n=", "rrrrrrrr", "passwordpassword="}
	for c := range 256 {
		inputs = append(inputs, string([]byte{byte(c)}), "r"+string([]byte{byte(c)})+"password=")
	}
	rng := rand.New(rand.NewPCG(3, 5))
	parts := []string{"cm", "k", "t", "_", ":", "/", "//", "=", "pass", "word", "wo", "rd", "b", "bea", "rer", "r", "R", "BEA", "RER", "e",
		"\u212a", "\u017f", "é", "\"", "\\", "<", "&", "\n", "\x00", "\xff", "\u2028", "x", "-", "0", "44444444-4444", "PassWord"}
	inputs = append(inputs, randomJoins(rng, parts, 50000, 8)...)
	for _, in := range inputs {
		mayHold, plain := scanString(in)
		if want := slowMayHoldCredential(in); mayHold != want {
			t.Errorf("scanString(%q) says it may hold a credential: %v; the full check says %v", in, mayHold, want)
		}
		if encoded := string(jsontext.AppendString(nil, in)); !mayHold && plain && encoded != `"`+in+`"` {
			t.Errorf("scanString(%q) calls it plain; AppendString writes %s", in, encoded)
		}
	}
}

// TestAppendCleanAttrMatchesItsParts: appendCleanAttr declines exactly the
// values cleanValue's rules decline (a string mayHoldCredential flags, a
// float that is not finite, a kind without a field type) and otherwise
// appends what jsontext and appendJSONFloat append.
func TestAppendCleanAttrMatchesItsParts(t *testing.T) {
	cases := []struct {
		v    slog.Value
		want string
		ok   bool
	}{
		{slog.StringValue("plain"), `"plain"`, true},
		{slog.StringValue("a\"<é\u2028\xff"), string(jsontext.AppendString(nil, "a\"<é\u2028\xff")), true},
		{slog.StringValue("Bearer x"), "", false},
		{slog.StringValue("cmk_x"), "", false},
		{slog.Int64Value(-42), "-42", true},
		{slog.Uint64Value(42), "42", true},
		{slog.BoolValue(true), "true", true},
		{slog.Float64Value(1.5), "1.5", true},
		{slog.Float64Value(0.001), string(appendJSONFloat(nil, 0.001, 64)), true},
		{slog.Float64Value(inf()), "", false},
		{slog.DurationValue(time.Second), "", false},
	}
	for _, c := range cases {
		got, ok := appendCleanAttr([]byte("x"), c.v)
		if ok != c.ok || (ok && string(got) != "x"+c.want) {
			t.Errorf("appendCleanAttr(%v) = %q, %v; want %q, %v", c.v, got, ok, "x"+c.want, c.ok)
		}
	}
}

// inf is +Inf, built at run time.
func inf() float64 { zero := 0.0; return 1 / zero }

// TestAppendLevelMatchesLevelString: every level, known or not, is its
// String as a JSON string.
func TestAppendLevelMatchesLevelString(t *testing.T) {
	for l := logrus.PanicLevel; l <= logrus.TraceLevel+2; l++ {
		if got, want := string(appendLevel(nil, l)), string(jsontext.AppendString(nil, l.String())); got != want {
			t.Errorf("appendLevel(%v) = %s, want %s", l, got, want)
		}
	}
}

// TestStampClockMatchesAppendFormat: the stamp clock writes what
// time.RFC3339Nano writes, for times in a row within and across seconds,
// alternating locations (UTC, Local, odd fixed offsets) in one second, whole
// seconds and fractions with trailing zeros, and years at and past the
// four-digit range.
func TestStampClockMatchesAppendFormat(t *testing.T) {
	locations := []*time.Location{time.UTC, time.Local, time.FixedZone("", 0), time.FixedZone("X", 5*3600+45*60),
		time.FixedZone("Y", -(9*3600 + 30*60 + 15))}
	if ny, err := time.LoadLocation("America/New_York"); err == nil {
		locations = append(locations, ny)
	}
	base := []time.Time{
		time.Date(2026, 12, 1, 22, 27, 33, 0, time.UTC), time.Date(2026, 3, 8, 6, 59, 59, 999999999, time.UTC),
		time.Date(0, 1, 1, 0, 0, 0, 1, time.UTC), time.Date(9999, 12, 31, 23, 59, 59, 100, time.UTC),
		time.Date(10000, 1, 1, 0, 0, 0, 5, time.UTC), time.Date(-1, 6, 1, 0, 0, 0, 0, time.UTC), time.Now(),
	}
	rng := rand.New(rand.NewPCG(9, 1))
	var c stampClock
	for _, b := range base {
		at := b
		for range 400 {
			switch rng.IntN(4) {
			case 0:
				at = at.Add(time.Duration(rng.IntN(3)) * time.Second)
			case 1:
				at = at.Add(time.Duration(rng.IntN(1000)) * time.Microsecond)
			case 2:
				at = at.Truncate(time.Duration([]int{1, 10, 1000, 1e6, 1e9}[rng.IntN(5)]))
			default:
				at = at.Add(time.Duration(rng.Int64N(int64(time.Second))))
			}
			in := at.In(locations[rng.IntN(len(locations))])
			if got, want := string(c.appendTime([]byte("x"), in)), "x"+in.Format(time.RFC3339Nano); got != want {
				t.Fatalf("appendTime(%v) = %s, want %s", in, got, want)
			}
		}
	}
}
